"""Changing the label and tags of runs (``label``, ``tag``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import RunStoreError, UsageError
from .run import Run


@dataclass
class LabelEdit:
    """One change of a label: exactly one of its fields is given."""

    set: str | None = None
    append: str | None = None
    prepend: str | None = None
    remove: Sequence[str] = ()
    clear: bool = False

    def check(self) -> None:
        given = [self.set is not None, self.append is not None, self.prepend is not None, bool(self.remove), self.clear]
        if sum(given) != 1:
            raise UsageError("specify one of --set, --append, --prepend, --remove or --clear")

    def apply(self, label: str) -> str:
        if self.set is not None:
            return self.set
        if self.append is not None:
            return f"{label} {self.append}".strip()
        if self.prepend is not None:
            return f"{self.prepend} {label}".strip()
        for text in self.remove:
            label = " ".join(label.replace(text, " ").split())
        return "" if self.clear else label


@dataclass
class TagEdit:
    add: Sequence[str] = ()
    delete: Sequence[str] = ()
    clear: bool = False

    def check(self) -> None:
        if not (self.add or self.delete or self.clear):
            raise UsageError("specify --add, --delete or --clear")

    def apply(self, tags: list[str]) -> list[str]:
        out = [t for t in ([] if self.clear else tags) if t not in self.delete]
        out += [t for t in dict.fromkeys(self.add) if t not in out]
        return out


def label_runs(runs: Sequence[Run], edit: LabelEdit) -> int:
    """Apply ``edit`` to each run's label (a later restart keeps it: it is the template too)."""
    for run in runs:
        new = edit.apply(run.label)
        # The template first: if the label cannot then be written, what a
        # user sees is unchanged and the error says so.
        old_template = run.get("label_template")
        run.set("label_template", new)
        try:
            run.set("label", new)
        except (RunStoreError, OSError):
            _restore(run, "label_template", old_template)
            raise
    return len(runs)


def _restore(run: Run, name: str, value: Any) -> None:
    """Put back an attribute a failed change had written (best effort)."""
    try:
        if value is None:
            run.delete_attr(name)
        else:
            run.set(name, value)
    except (RunStoreError, OSError):
        pass


def tag_runs(runs: Sequence[Run], edit: TagEdit) -> int:
    """Apply ``edit`` to each run's tags; labels are not changed."""
    for run in runs:
        run.set("tags", edit.apply(run.tags))
    return len(runs)
