"""``requires:`` entries: what an operation depends on, as Guild names it.

An entry is ``operation: OP`` (the files of a run of OP) or ``file: PATH``
(a project file or directory), with optional ``name``, ``select`` (a regular
expression a file's relative path must match), ``target-path``,
``target-type`` (``copy`` or ``link``), ``rename`` (``'PATTERN REPL'``) and
``optional``. A string entry ``operation:OP`` or ``file:PATH`` is the same
as its mapping. Each source has a URI (``operation:prep``) and a resource
name (its ``name``, else the URI), which key the run's ``deps`` attribute.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GuildfileError
from .opdef import OpDef

KINDS = ("operation", "file")
SOURCE_KEYS = {*KINDS, "name", "select", "target-path", "target-type", "rename", "optional", "path"}


@dataclass(frozen=True)
class DepSource:
    kind: str  # "operation" or "file"
    target: str  # the operation's name or the file's project-relative path
    name: str = ""
    select: tuple[str, ...] = ()
    target_path: str = ""
    target_type: str = ""  # "link" or "copy" ("" is each kind's default)
    rename: tuple[str, str] | None = None
    optional: bool = False

    @property
    def uri(self) -> str:
        return f"{self.kind}:{self.target}"

    @property
    def res_name(self) -> str:
        return self.name or self.uri

    @property
    def flag_name(self) -> str:
        """The key of the flag that records (or chooses) the run of an operation source."""
        return self.name or self.uri


def _bad(req: Any, why: str) -> GuildfileError:
    return GuildfileError(f"invalid requires entry {req!r}: {why}"[:300])


def _select(req: Any, val: Any) -> tuple[str, ...]:
    pats = [val] if isinstance(val, str) else val
    if not isinstance(pats, list) or not all(isinstance(p, str) for p in pats):
        raise _bad(req, "select must be a regular expression or a list of them")
    for p in pats:
        try:
            re.compile(p)
        except re.error as e:
            raise _bad(req, f"select {p!r} is not a regular expression ({e})") from None
    return tuple(pats)


def _rename(req: Any, val: Any) -> tuple[str, str] | None:
    if val is None:
        return None
    parts = val.split(None, 1) if isinstance(val, str) else []
    if len(parts) != 2:
        raise _bad(req, "rename must be 'PATTERN REPLACEMENT'")
    try:
        re.compile(parts[0])
    except re.error as e:
        raise _bad(req, f"rename pattern {parts[0]!r} is not a regular expression ({e})") from None
    return parts[0], parts[1]


def parse_source(req: Any) -> DepSource:
    """One ``requires:`` entry as a ``DepSource``; a ``GuildfileError`` when invalid."""
    if isinstance(req, str):
        kind, sep, val = req.partition(":")
        req = {kind: val} if sep and kind in KINDS else {"operation": req}
    if not isinstance(req, dict):
        raise _bad(req, "expected a mapping with 'operation' or 'file'")
    kinds = [k for k in KINDS if k in req]
    if len(kinds) != 1 or not isinstance(req[kinds[0]], str) or not req[kinds[0]].strip():
        raise _bad(req, "expected one of 'operation: NAME' or 'file: PATH'")
    unknown = sorted(str(k) for k in req if k not in SOURCE_KEYS)
    if unknown:
        raise _bad(req, f"unknown key '{unknown[0]}'")
    ttype = req.get("target-type") or ""
    if ttype not in ("", "link", "copy"):
        raise _bad(req, "target-type must be 'link' or 'copy'")
    name, tpath = req.get("name") or "", req.get("target-path") or req.get("path") or ""
    if not isinstance(name, str) or not isinstance(tpath, str):
        raise _bad(req, "name and target-path must be strings")
    if os.path.isabs(tpath) or ".." in Path(tpath).parts:
        raise _bad(req, "target-path must be a path inside the run")
    return DepSource(
        kind=kinds[0],
        target=req[kinds[0]].strip(),
        name=name,
        select=_select(req, req["select"]) if req.get("select") is not None else (),
        target_path=tpath,
        target_type=ttype,
        rename=_rename(req, req.get("rename")),
        optional=bool(req.get("optional")),
    )


def sources(opdef: OpDef) -> list[DepSource]:
    return [parse_source(req) for req in opdef.requires]


def flag_aliases(opdef: OpDef) -> dict[str, str]:
    """Each name a user may choose an upstream run by (``prep``,
    ``operation:prep``; ``NAME`` with ``name:``) and the flag key it sets."""
    out: dict[str, str] = {}
    for req in opdef.requires:
        try:
            src = parse_source(req)
        except GuildfileError:
            continue  # reported when the run resolves its requires
        if src.kind != "operation":
            continue
        out[src.flag_name] = src.flag_name
        if not src.name:
            out[src.target] = src.flag_name
    return out


def script_flags(opdef: OpDef, flags: dict[str, Any]) -> dict[str, Any]:
    """The flags passed to the operation's process: without the dependency choices."""
    keys = set(flag_aliases(opdef).values())
    return {k: v for k, v in flags.items() if k not in keys or k in opdef.flags}
