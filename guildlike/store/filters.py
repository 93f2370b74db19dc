"""Run filters shared by ``runs``, ``select``, ``runs delete``, ``label``, ``tag``...

Filters apply before index numbers are assigned. Operation, label, tag and
time filters combine with AND; several statuses select runs having any.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .notes import comments_text
from .timerange import TimeRange

if TYPE_CHECKING:
    from .run import Run


def op_matches(pattern: str, op_name: str) -> bool:
    """Whole-name match of an operation: ``emit`` matches ``alpha:emit``.

    ``*`` globs are allowed; a pattern starting with ``^`` or ending with
    ``$`` is a regular expression.
    """
    candidates = [op_name]
    if ":" in op_name:
        candidates.append(op_name.split(":", 1)[1])
    if pattern.startswith("^") or pattern.endswith("$"):
        try:
            rx = re.compile(pattern)
        except re.error:
            return False
        return any(rx.search(c) for c in candidates)
    if any(ch in pattern for ch in "*?["):
        return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)
    return pattern in candidates


def comments_match(texts: list[str], comments: str) -> bool:
    """Each of ``texts`` is in ``comments`` (bodies, users and hosts), ignoring case."""
    low = comments.lower()
    return all(t.lower() in low for t in texts)


@dataclass
class RunFilter:
    ops: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    unlabeled: bool = False
    tags: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    not_statuses: set[str] = field(default_factory=set)
    started: TimeRange | None = None
    marked: bool = False
    unmarked: bool = False
    comments: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.ops
            or self.labels
            or self.unlabeled
            or self.tags
            or self.statuses
            or self.not_statuses
            or self.started
            or self.marked
            or self.unmarked
            or self.comments
        )

    def needs_status(self) -> bool:
        return bool(self.statuses or self.not_statuses)

    def matches(self, run: Run) -> bool:
        if self.ops and not any(op_matches(p, run.op_name) for p in self.ops):
            return False
        if self.labels and not all(lbl in run.label for lbl in self.labels):
            return False
        if self.unlabeled and run.label:
            return False
        if self.tags:
            tags = run.tags
            if not all(t in tags for t in self.tags):
                return False
        if self.started and not self.started.contains_us(run.sort_time):
            return False
        if (self.marked and not run.marked) or (self.unmarked and run.marked):
            return False
        if self.comments and not comments_match(self.comments, comments_text(run.comments)):
            return False
        if self.statuses or self.not_statuses:
            status = run.status
            if self.statuses and status not in self.statuses:
                return False
            if status in self.not_statuses:
                return False
        return True
