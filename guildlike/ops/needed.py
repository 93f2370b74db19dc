"""Deciding whether a restart reruns a run (``--needed``) and why.

A run is reused only if it completed (or was terminated, as in Guild, unless
it is a pipeline or a pipeline's step: those resume), its
flags would not change, its source is unchanged (when the restart takes the
project's current source) and no run it requires was rerun with different
output in this restart, or replaced. A rerun whose output files hash the
same as before does not force its dependants to rerun (early cutoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import RunStoreError
from ..guildfile import deps, sourcecode
from ..guildfile.opdef import OpDef
from ..store import status, store
from ..store.filters import RunFilter
from ..store.run import Run
from ..util.yamlutil import encode_value
from . import requires

SKIP_MESSAGE = "Skipping run because flags have not changed (--needed specified)"


@dataclass
class Decision:
    action: str  # "reuse", "rerun" or "create"
    reason: str


def flag_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            out.append(f"{name} {encode_value(old[name])} -> (removed)")
        elif name not in old:
            out.append(f"{name} (unset) -> {encode_value(new[name])}")
        elif old[name] != new[name] or type(old[name]) is not type(new[name]):
            out.append(f"{name} {encode_value(old[name])} -> {encode_value(new[name])}")
    return out


def project_digest(ctx: Context, opdef: OpDef) -> str:
    project = Path(opdef.project_dir) if opdef.project_dir else ctx.cwd
    files = sourcecode.select_files(project, opdef.sourcecode, exclude_dirs=[ctx.home])
    if opdef.script and opdef.script not in files and (project / opdef.script).is_file():
        files.append(opdef.script)
    _, root, _ = sourcecode.parse_spec(opdef.sourcecode)
    return sourcecode.digest(project / root if root else project, files)


def _status_reason(run: Run) -> str | None:
    st = run.status
    if st == status.TERMINATED and (run.is_pipeline() or run.get("parent")):
        # An interrupted pipeline or step did not do its work: a restart resumes it.
        return "terminated"
    if st in (status.COMPLETED, status.TERMINATED):
        return None
    if st == status.ERROR:
        code = run.get("exit_status")
        return f"failed (exit {code})" if code is not None else "failed"
    return st


def upstream_reason(
    run: Run, changed: dict[str, str], targets: list[str] | None, planning: bool = False
) -> str | None:
    for name, rid in requires.upstream_ids(run.get("deps")):
        if rid in changed:
            if planning:
                return f"upstream step {changed[rid]} reruns (reused if its output is unchanged)"
            return f"upstream step {changed[rid]} reran with new output"
        if targets is not None and rid not in targets:
            return f"upstream step {name} was replaced"
    return None


def _comparable(opdef: OpDef, flags: dict[str, Any], pinned: set[str]) -> dict[str, Any]:
    """Flags without the requires choices the user did not make (a restart re-resolves those)."""
    keys = set(deps.flag_aliases(opdef).values()) - pinned - set(opdef.flags)
    return {k: v for k, v in flags.items() if k not in keys}


def decide(
    ctx: Context,
    run: Run,
    opdef: OpDef,
    new_flags: dict[str, Any],
    force_sourcecode: bool,
    changed: dict[str, str] | None = None,
    targets: list[str] | None = None,
    planning: bool = False,
) -> Decision:
    reason = _status_reason(run)
    if reason:
        return Decision("rerun", reason)
    pinned = set(new_flags) & set(deps.flag_aliases(opdef).values())
    changes = flag_changes(_comparable(opdef, run.flags, pinned), _comparable(opdef, new_flags, pinned))
    if changes:
        return Decision("rerun", "flags changed: " + ", ".join(changes))
    if force_sourcecode and not opdef.is_pipeline and opdef.batch is None:
        if project_digest(ctx, opdef) != (run.get("sourcecode_digest") or ""):
            return Decision("rerun", "source changed")
    up = upstream_reason(run, changed or {}, targets, planning)
    if up:
        return Decision("rerun", up)
    return Decision("reuse", f"{run.status}, flags unchanged")


def matching_runs(ctx: Context, opdef: OpDef, flags: dict[str, Any]) -> list[Run]:
    """Runs of ``opdef`` that completed (or were terminated) with ``flags``: ``run --needed`` skips.

    A damaged run (its flags cannot be read) is passed over with a warning,
    never a reason to refuse the run."""
    flt = RunFilter(ops=[opdef.full_name], statuses={status.COMPLETED, status.TERMINATED})
    pinned = set(flags) & set(deps.flag_aliases(opdef).values())
    want = _comparable(opdef, flags, pinned)
    out = []
    for run in store.list_runs(ctx, flt):
        try:
            if run.op_name == opdef.full_name and _comparable(opdef, run.flags, pinned) == want:
                out.append(run)
        except RunStoreError as e:
            ctx.ui.warning(f"skipping damaged run {run.short_id} ({e.message}): 'guildlike check' can repair it")
    return out
