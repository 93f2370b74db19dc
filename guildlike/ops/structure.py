"""Pipeline structure: a digest of the step list and the op definitions it uses.

Recorded with a pipeline run when it first runs. When a restart reads the
pipeline's definition afresh (``--force-sourcecode``, or the current project
after an import), the structure is compared before anything is reused:
steps added, removed, renamed, reordered or running another operation stop
the restart unless ``--force-structure`` is given. A changed op definition
alone (new code, new flag defaults) is not a change of structure.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError, StructureChanged
from ..guildfile.opdef import OpDef
from .opdefs import resolve_opdef
from .stepdefs import parse_steps, step_opspec


def _op_digest(opdef: OpDef) -> str:
    data = opdef.to_data()
    for key in ("project-dir", "guildfile"):
        data.pop(key, None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def compute(ctx: Context, opdef: OpDef, project: Path | None) -> dict[str, Any]:
    steps = []
    for step in parse_steps(opdef):
        spec = step_opspec(opdef, step)
        try:
            digest = _op_digest(resolve_opdef(ctx, spec, project))
        except GuildlikeError:
            digest = ""
        steps.append({"name": step.link_name, "op": spec, "op_digest": digest})
    shape = [[s["name"], s["op"]] for s in steps]
    full = [[s["name"], s["op"], s["op_digest"]] for s in steps]
    return {
        "hash": hashlib.sha256(json.dumps(full).encode()).hexdigest()[:16],
        "shape_hash": hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16],
        "steps": steps,
    }


def describe(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed in the step list, in words; empty when only op definitions changed."""
    a = [(s["name"], s["op"]) for s in old.get("steps") or []]
    b = [(s["name"], s["op"]) for s in new.get("steps") or []]
    if a == b:
        return []
    names_a, names_b = [n for n, _ in a], [n for n, _ in b]
    added = [n for n in names_b if n not in names_a]
    removed = [n for n in names_a if n not in names_b]
    out: list[str] = []
    if len(added) == len(removed) == 1 and names_a.index(removed[0]) == names_b.index(added[0]):
        out.append(f"step '{removed[0]}' renamed to '{added[0]}'")
    else:
        out += [f"step '{n}' added" for n in added]
        out += [f"step '{n}' removed" for n in removed]
    common_a = [n for n in names_a if n in names_b]
    common_b = [n for n in names_b if n in names_a]
    if common_a != common_b:
        out.append(f"steps reordered: {', '.join(common_a)} -> {', '.join(common_b)}")
    ops_a, ops_b = dict(a), dict(b)
    for n in common_b:
        if ops_a[n] != ops_b[n]:
            out.append(f"step '{n}' runs '{ops_b[n]}' instead of '{ops_a[n]}'")
    return out


def check(ctx: Context, recorded: dict[str, Any] | None, current: dict[str, Any], force: bool) -> bool:
    """Raise ``StructureChanged`` unless the step lists agree (or ``force``); True if they differ."""
    if not recorded or recorded.get("hash") == current.get("hash"):
        return False
    changes = describe(recorded, current)
    if not changes:
        return False
    text = "; ".join(changes)
    if not force:
        raise StructureChanged(
            f"pipeline structure changed since it was recorded: {text}",
            ["Completed steps cannot be reused safely. Use --force-structure to restart anyway."],
        )
    ctx.ui.info(f"pipeline structure changed ({text}); restarting anyway (--force-structure)")
    return True
