"""guild.yml's reuse: ``include:``, ``config:``, ``extends:`` and ``$include``.

The full format's list is expanded into plain model items before the models
are checked and built:

- ``- include: FILE`` puts another file's items (relative to the including
  file) in its place;
- ``- config: NAME`` items are not models: they hold sections to reuse;
- ``extends: NAME`` (or a list) gives a model or config its parents'
  operations and description; the child wins per operation key and per
  flag, and an earlier parent wins over a later one;
- ``$include: NAME`` or ``MODEL:OP`` (or a list) in ``flags:`` merges that
  config's flags or that operation's flags; in ``operations:``, that
  config's (or model's) operations. Own entries win.

A cycle (in includes, extends or ``$include``) is a one-line error naming
the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import GuildfileError

INCLUDE_KEY = "$include"
MAX_INCLUDE_DEPTH = 20

# Reads and parses one file: (path) -> its YAML document.
Reader = Callable[[Path], Any]


def _err(path: Path, msg: str) -> GuildfileError:
    return GuildfileError(f"error in {path}: {msg}")


def include_files(path: Path, data: list[Any], read: Reader, chain: tuple[Path, ...] = ()) -> list[Any]:
    """``data`` with each ``- include: FILE`` replaced by that file's items."""
    chain = (*chain, path.resolve())
    out: list[Any] = []
    for item in data:
        if not (isinstance(item, dict) and "include" in item):
            out.append(item)
            continue
        name = item["include"]
        if not isinstance(name, str) or not name:
            raise _err(path, f"include must name a file, got {name!r}")
        target = (path.parent / name).resolve()
        if target in chain or len(chain) > MAX_INCLUDE_DEPTH:
            names = " -> ".join(p.name for p in (*chain, target))
            raise _err(path, f"include cycle: {names}")
        if not target.is_file():
            raise _err(path, f"cannot include {name}: no such file")
        sub = read(target)
        if sub is None:
            continue
        if not isinstance(sub, list):
            raise _err(target, "an included file must be a list of models or configs")
        out += include_files(target, sub, read, chain)
    return out


def _ref_list(path: Path, val: Any, what: str) -> list[str]:
    refs = [val] if isinstance(val, str) else val
    if not isinstance(refs, list) or not all(isinstance(r, str) and r for r in refs):
        raise _err(path, f"{what} must name a config or model, or list them")
    return list(refs)


def merge_flag(own: Any, base: Any) -> Any:
    """A flag defined twice: own keys win; a bare value is the default."""
    if not isinstance(base, dict):
        return own
    if isinstance(own, dict):
        return {**base, **own}
    return {**base, "default": own}


def merge_flags(own: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, fdef in own.items():
        out[name] = merge_flag(fdef, base[name]) if name in base else fdef
    return out


def merge_op(own: Any, base: Any) -> Any:
    if not isinstance(own, dict) or not isinstance(base, dict):
        return own if own is not None else base
    out = {**base, **own}
    if isinstance(own.get("flags"), dict) and isinstance(base.get("flags"), dict):
        out["flags"] = merge_flags(own["flags"], base["flags"])
    return out


def merge_ops(own: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, op in own.items():
        out[name] = merge_op(op, base[name]) if name in base else op
    return out


class Expander:
    """Expands the items of one (include-expanded) guild.yml list."""

    def __init__(self, path: Path, items: list[Any]) -> None:
        self.path = path
        self.items: dict[str, dict[str, Any]] = {}
        for item in items:
            if isinstance(item, dict):
                key = "model" if "model" in item else "config" if "config" in item else None
                if key is not None and isinstance(item[key], str):
                    self.items.setdefault(item[key], item)
        self.done: dict[str, dict[str, Any]] = {}
        self.stack: list[str] = []

    def _enter(self, name: str, how: str) -> None:
        if name in self.stack:
            chain = " -> ".join([*self.stack[self.stack.index(name):], name])
            raise _err(self.path, f"cycle in {how}: {chain}")
        self.stack.append(name)

    def item(self, name: str, how: str = "extends") -> dict[str, Any]:
        """The item ``name`` with its parents and includes applied."""
        if name in self.done:
            return self.done[name]
        raw = self.items.get(name)
        if raw is None:
            raise _err(self.path, f"cannot find config or model '{name}' ({how})")
        self._enter(name, how)
        try:
            out = self.expand(raw)
        finally:
            self.stack.pop()
        self.done[name] = out
        return out

    def expand(self, raw: dict[str, Any]) -> dict[str, Any]:
        out = dict(raw)
        ops = raw.get("operations")
        ops = self._ops(ops) if isinstance(ops, dict) else ops
        desc = raw.get("description")
        for parent_name in _ref_list(self.path, raw["extends"], "extends") if raw.get("extends") else []:
            parent = self.item(parent_name)
            pops = parent.get("operations")
            if isinstance(pops, dict):
                ops = merge_ops(ops if isinstance(ops, dict) else {}, pops)
            desc = desc if desc is not None else parent.get("description")
        if ops is not None:
            out["operations"] = ops
        if desc is not None:
            out["description"] = desc
        flags = raw.get("flags")
        if isinstance(flags, dict):
            out["flags"] = self._flags(flags)
        out.pop("extends", None)
        return out

    def _ops(self, ops: dict[str, Any]) -> dict[str, Any]:
        own = {k: v for k, v in ops.items() if k != INCLUDE_KEY}
        for ref in _ref_list(self.path, ops[INCLUDE_KEY], INCLUDE_KEY) if INCLUDE_KEY in ops else []:
            base = self.item(ref, INCLUDE_KEY).get("operations")
            own = merge_ops(own, base if isinstance(base, dict) else {})
        return {k: self._op(v) for k, v in own.items()}

    def _op(self, op: Any) -> Any:
        if isinstance(op, dict) and isinstance(op.get("flags"), dict):
            return {**op, "flags": self._flags(op["flags"])}
        return op

    def _flags(self, flags: dict[str, Any]) -> dict[str, Any]:
        own = {k: v for k, v in flags.items() if k != INCLUDE_KEY}
        for ref in _ref_list(self.path, flags[INCLUDE_KEY], INCLUDE_KEY) if INCLUDE_KEY in flags else []:
            own = merge_flags(own, self._ref_flags(ref))
        return own

    def _ref_flags(self, ref: str) -> dict[str, Any]:
        name, sep, op = ref.rpartition(":")
        if not sep:
            base = self.item(ref, INCLUDE_KEY).get("flags")
        else:
            ops = self.item(name, INCLUDE_KEY).get("operations")
            opdata = ops.get(op) if isinstance(ops, dict) else None
            if not isinstance(opdata, dict):
                raise _err(self.path, f"cannot find operation '{ref}' ({INCLUDE_KEY})")
            base = opdata.get("flags")
        return base if isinstance(base, dict) else {}


def expand(path: Path, data: list[Any], read: Reader) -> list[Any]:
    """The items of a full-format guild.yml with includes, extends and ``$include`` applied."""
    items = include_files(path, data, read)
    exp = Expander(path, items)
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("model"), str):
            out.append(exp.item(item["model"]))
        else:
            out.append(item)
    return out
