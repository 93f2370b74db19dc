"""A run: a directory under the home's ``runs`` folder and its attributes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import attr_types
from . import attrs as attrs_mod
from . import opref as opref_mod
from . import status as status_mod

_UNREAD = object()  # an attribute not read yet (None: read, and absent)


class Run:
    """A view of one run directory. Attribute reads are cached per instance."""

    def __init__(self, run_id: str, path: Path | str) -> None:
        self.id = run_id
        self._path = path
        self._cache: dict[str, Any] = {}
        self._opref: opref_mod.OpRef | None | bool = False
        self.damaged = ""  # why the run cannot be read in full, when it cannot
        self.bad_attrs: dict[str, str] = {}  # attributes of the wrong type, read as absent
        # A finished run's last scalar values as the index holds them (JSON), when read from it.
        self.indexed_last: str | None = None

    @property
    def path(self) -> Path:
        """The run directory (made a Path only when used: listings need few)."""
        if not isinstance(self._path, Path):
            self._path = Path(self._path)
        return self._path

    @path.setter
    def path(self, value: Path | str) -> None:
        self._path = value

    def __repr__(self) -> str:
        return f"<Run {self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def guild_dir(self) -> Path:
        return self.path / ".guild"

    def get(self, name: str, default: Any = None) -> Any:
        val = self._cache.get(name, _UNREAD)
        if val is _UNREAD:
            val = attrs_mod.read(self.path, name)
            why = attr_types.problem(name, val)
            if why is not None:
                self.bad_attrs[name] = why
                val = None
            self._cache[name] = val
        return default if val is None else val

    def set(self, name: str, value: Any) -> None:
        attrs_mod.write(self.path, name, value)
        self._cache[name] = value

    def delete_attr(self, name: str) -> None:
        attrs_mod.delete(self.path, name)
        self._cache[name] = None

    def preload(self, values: dict[str, Any]) -> None:
        """Attribute values known without reading their files (from the run index)."""
        self._cache.update(values)

    def preload_opref(self, ref: opref_mod.OpRef | None) -> None:
        self._opref = ref

    def invalidate(self) -> None:
        self._cache.clear()
        self._opref = False

    @property
    def opref(self) -> opref_mod.OpRef | None:
        if self._opref is False:
            self._opref = opref_mod.read(self.path)
        return self._opref  # type: ignore[return-value]

    @property
    def op_name(self) -> str:
        ref = self.opref
        return ref.op_name if ref else ""

    @property
    def status(self) -> str:
        exit_status = self.get("exit_status")
        if exit_status is not None:  # no marker to read (and no Path to make)
            return status_mod.status_from_exit(exit_status)
        return status_mod.status_from_markers(self.path, None)

    @property
    def started(self) -> int | None:
        val = self.get("started")
        return val if isinstance(val, int) and not isinstance(val, bool) else None

    @property
    def sort_time(self) -> int:
        return self.get("started") or self.get("initialized") or 0

    @property
    def label(self) -> str:
        return self.get("label") or ""

    @property
    def flags(self) -> dict[str, Any]:
        return dict(self.get("flags") or {})

    @property
    def tags(self) -> list[str]:
        return list(self.get("tags") or [])

    @property
    def marked(self) -> bool:
        return self.get("marked") is True

    @property
    def comments(self) -> list[dict[str, Any]]:
        return [c for c in self.get("comments") or [] if isinstance(c, dict)]

    def is_pipeline(self) -> bool:
        """A pipeline of guildlike (its operation has steps) or of Guild (a ``steps`` attribute)."""
        op = self.get("op") or {}
        return isinstance(op, dict) and bool(op.get("steps")) or isinstance(self.get("steps"), list)

    def is_batch(self) -> bool:
        op = self.get("op") or {}
        return isinstance(op, dict) and bool(op.get("batch"))
