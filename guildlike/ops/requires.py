"""``requires:`` — linking the files of an upstream run into a new run.

``requires: [{operation: prepare}]`` links the files of the latest completed
run of ``prepare``. Inside a pipeline only the pipeline's own step runs are
candidates, so two pipelines never read each other's outputs. The resolved
run ids are recorded in the run's ``deps`` attribute.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import DependencyError, GuildfileError
from ..guildfile.opdef import OpDef
from ..store import status, store
from ..store.filters import RunFilter, op_matches
from ..store.run import Run
from .options import RunOptions


def _normalize(req: Any) -> dict[str, Any]:
    if isinstance(req, str):
        kind, _, val = req.partition(":")
        if kind == "operation" and val:
            return {"operation": val}
        return {"operation": req}
    if isinstance(req, dict) and isinstance(req.get("operation"), str):
        return req
    raise GuildfileError(f"invalid requires entry {req!r}: expected {{operation: NAME}}")


def _candidates(ctx: Context, opname: str, opts: RunOptions) -> list[Run]:
    flt = RunFilter(statuses={status.COMPLETED})
    runs = store.list_runs(ctx, flt)
    if opts.candidates is not None:
        allowed = set(opts.candidates)
        runs = [r for r in runs if r.id in allowed]
    return [r for r in runs if op_matches(opname, r.op_name)]


def _source_files(run: Run) -> set[str]:
    return set(run.get("sourcecode") or [])


def _link_files(upstream: Run, run: Run, select: list[str], target: str) -> list[str]:
    skip = _source_files(upstream)
    linked: list[str] = []
    dest_base = run.path / target if target else run.path
    dest_base.mkdir(parents=True, exist_ok=True)
    for name in sorted(os.listdir(upstream.path)):
        if name.startswith(".") or name in skip:
            continue
        if select and not any(fnmatch.fnmatchcase(name, p) for p in select):
            continue
        dest = dest_base / name
        if os.path.lexists(dest):
            if os.path.islink(dest):
                os.unlink(dest)
            else:
                continue  # never overwrite the run's own files
        os.symlink(os.path.relpath(upstream.path / name, dest_base), dest)
        linked.append(str(Path(target) / name) if target else name)
    return linked


def resolve(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    deps: dict[str, Any] = {}
    for raw in opdef.requires:
        req = _normalize(raw)
        opname = req["operation"]
        found = _candidates(ctx, opname, opts)
        if not found:
            where = " in this pipeline" if opts.candidates is not None else ""
            raise DependencyError(
                f"run failed because a dependency was not met: no completed run of '{opname}'{where}"
            )
        upstream = found[0]
        select = req.get("select") or []
        if isinstance(select, str):
            select = [select]
        target = str(req.get("target-path") or "")
        paths = _link_files(upstream, run, list(select), target)
        deps[str(req.get("name") or opname)] = {"run": upstream.id, "paths": paths}
    run.set("deps", deps)
