"""``requires:`` — resolving a run's dependencies before its process starts.

An ``operation:`` source links the files of one run of that operation: the
run chosen by flag (``prep=RUNID``, a prefix of its id), else the newest
marked one, else the newest, among its completed, running and terminated
runs. Inside a pipeline only the pipeline's own step runs are candidates,
so two pipelines never read each other's outputs. A ``file:`` source copies
(or links) a project file or directory (``depfiles``).

The choices are written in Guild's ``deps`` format, keyed by resource name
then source name, and the chosen run's id is stored as the flag
``operation:prep`` (shown in ``runs info`` and the label, never passed to
the script).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import DependencyError, DependencySourceError
from ..guildfile import deps as depdefs
from ..guildfile.deps import DepSource
from ..guildfile.opdef import OpDef
from ..store import status, store
from ..store.filters import RunFilter, op_matches
from ..store.run import Run
from . import depfiles
from .lifecycle import initial_label
from .options import RunOptions

UPSTREAM_STATUSES = {status.COMPLETED, status.RUNNING, status.TERMINATED}


def op_runs(ctx: Context, opname: str, opts: RunOptions) -> list[Run]:
    """The runs of ``opname`` a requires may use, newest first."""
    runs = store.list_runs(ctx, RunFilter(statuses=set(UPSTREAM_STATUSES)))
    if opts.candidates is not None:
        allowed = set(opts.candidates)
        runs = [r for r in runs if r.id in allowed]
    return [r for r in runs if op_matches(opname, r.op_name)]


def choose_run(runs: list[Run], chosen: str | None) -> Run | None:
    """The run given by id prefix, else the newest marked one, else the newest."""
    if chosen:
        hits = [r for r in runs if r.id.startswith(chosen)]
        return hits[0] if len(hits) == 1 else None
    marked = [r for r in runs if r.get("marked") is True]
    pool = marked or runs
    return pool[0] if pool else None


def _upstream_files(upstream: Run, select: tuple[str, ...]) -> list[str]:
    """Files the upstream run holds (not its source copy), relative, sorted."""
    skip = set(upstream.get("sourcecode") or [])
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(upstream.path):
        rel_dir = os.path.relpath(dirpath, upstream.path)
        dirnames[:] = sorted(d for d in dirnames if not (rel_dir == "." and d == ".guild"))
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                filenames.append(d)  # a linked folder is linked as it is
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel in skip:
                continue
            if select and not any(re.fullmatch(p, rel) for p in select):
                continue
            out.append(rel)
    return sorted(out)


def _link(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dest):
        if not os.path.islink(dest):
            return  # never overwrite the run's own files
        os.unlink(dest)
    os.symlink(os.path.relpath(src, dest.parent), dest)


def _link_upstream(run: Run, upstream: Run, src: DepSource) -> list[str]:
    paths: list[str] = []
    for rel in _upstream_files(upstream, src.select):
        dest = run.path / src.target_path / rel
        _link(upstream.path / rel, dest)
        paths.append(os.path.relpath(upstream.path / rel, run.path))
    return paths


def _not_met(src: DepSource, reason: str) -> DependencyError:
    return DependencyError(src.uri, src.res_name, reason)


def _resolve_operation(ctx: Context, run: Run, src: DepSource, opts: RunOptions) -> dict[str, Any]:
    chosen = run.flags.get(src.flag_name)
    upstream = choose_run(op_runs(ctx, src.target, opts), str(chosen) if chosen else None)
    if upstream is None:
        ctx.ui.note(f"WARNING: cannot find a suitable run for required resource '{src.res_name}'")
        ctx.ui.note(f"Resolving {src.res_name}")
        raise _not_met(src, f"no suitable run for {src.target}")
    ctx.ui.note(f"Resolving {src.res_name}")
    ctx.ui.note(f"Using run {upstream.id} for {src.res_name}")
    paths = _link_upstream(run, upstream, src)
    if not paths:
        ctx.ui.note(f"WARNING: nothing resolved for {src.res_name}")
    return {"config": upstream.id, "paths": paths, "uri": src.uri}


def _record_choices(run: Run, opdef: OpDef, opts: RunOptions, chosen: dict[str, str]) -> None:
    flags = dict(run.flags)
    if all(flags.get(k) == v for k, v in chosen.items()):
        return
    flags.update(chosen)
    run.set("flags", flags)
    if run.get("label_template") is None and opts.label is None:
        run.set("label", initial_label(opdef, flags, RunOptions(tags=run.tags)))


def resolve(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    """Resolve every source of ``opdef``'s requires into ``run``; write ``deps``."""
    deps: dict[str, Any] = {}
    chosen: dict[str, str] = {}
    project = Path(opdef.project_dir or ctx.cwd)
    for src in depdefs.sources(opdef):
        if src.res_name in deps:
            ctx.ui.note(f"Skipping resolution of {src.res_name} because it's already resolved")
            continue
        if src.kind == "operation":
            entry = _resolve_operation(ctx, run, src, opts)
            chosen[src.flag_name] = entry["config"]
            deps[src.res_name] = {src.res_name: entry}
            continue
        ctx.ui.note(f"Resolving {src.res_name}")
        try:
            paths = depfiles.resolve_file(project, run.path, src)
        except DependencySourceError as e:
            if e.missing and src.optional:
                ctx.ui.note(f"Could not resolve {src.res_name} - skipping because dependency is optional")
                deps[src.res_name] = {}
                continue
            raise _not_met(src, e.reason) from None
        deps[src.res_name] = {src.res_name: {"paths": paths, "uri": src.uri}}
    _record_choices(run, opdef, opts, chosen)
    run.set("deps", deps)


def skip_staged(ctx: Context, opdef: OpDef) -> None:
    """A staged run resolves nothing until it starts."""
    seen: set[str] = set()
    for src in depdefs.sources(opdef):
        if src.res_name not in seen:
            seen.add(src.res_name)
            ctx.ui.note(f"Skipping resolution of {src.res_name} because it's being staged")


def upstream_ids(deps: Any) -> list[tuple[str, str]]:
    """(resource name, run id) of each operation source in a ``deps`` attribute
    (Guild's format, or the older ``{name: {run: ID}}``)."""
    out: list[tuple[str, str]] = []
    if not isinstance(deps, dict):
        return out
    for name, res in sorted(deps.items()):
        if not isinstance(res, dict):
            continue
        if isinstance(res.get("run"), str):
            out.append((str(name), res["run"]))
            continue
        for src in res.values():
            if isinstance(src, dict) and isinstance(src.get("config"), str):
                out.append((str(name), src["config"]))
    return out
