"""``run --restart RUN --plan``: what a restart would do with each step, and why. Runs nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..context import Context
from ..store import links, status, store
from ..store.run import Run
from . import needed, structure
from .lifecycle import storable_flags
from .opdefs import project_dir_for, restart_flags, restart_opdef
from .options import RunOptions
from .stepdefs import parse_steps, step_flags


@dataclass
class PlanRow:
    step: str
    action: str  # reuse, rerun, create
    run_id: str
    reason: str


def _decide(ctx: Context, run: Run, given: dict[str, Any], opts: RunOptions,
            changed: dict[str, str], targets: list[str] | None) -> needed.Decision:
    opdef = restart_opdef(ctx, run, opts.force_sourcecode)
    flags = restart_flags(opdef, run, given, opts.force_flags)
    if not opts.needed:
        return needed.Decision("rerun", "restarted (without --needed every step reruns)")
    if opdef.batch is not None:
        return _batch_decision(ctx, run, flags)
    return needed.decide(ctx, run, opdef, flags, opts.force_sourcecode, changed, targets, planning=True)


def _batch_decision(ctx: Context, run: Run, flags: dict[str, Any]) -> needed.Decision:
    """A batch with --needed reruns the trials that did not complete."""
    changes = needed.flag_changes(run.flags, storable_flags(flags))
    if changes:
        return needed.Decision("rerun", "flags changed: " + ", ".join(changes))
    records = run.get("trials") or []
    todo = 0
    for rec in records:
        rid = rec.get("run") if isinstance(rec, dict) else None
        trial = store.run_for_id(ctx, rid) if rid else None
        if trial is None or not trial.path.is_dir() or trial.status != status.COMPLETED:
            todo += 1
    if todo:
        return needed.Decision("rerun", f"{todo} of {len(records)} trial(s) did not complete")
    if run.status != status.COMPLETED:
        return needed.Decision("rerun", run.status)
    return needed.Decision("reuse", f"all {len(records)} trial(s) completed, flags unchanged")


def plan(ctx: Context, run: Run, given: dict[str, Any], opts: RunOptions) -> list[PlanRow]:
    """One row per step of a pipeline (one row for any other run)."""
    opdef = restart_opdef(ctx, run, opts.force_sourcecode)
    if not opdef.is_pipeline:
        d = _decide(ctx, run, given, opts, {}, None)
        return [PlanRow(opdef.full_name, d.action, run.id, d.reason)]
    flags = restart_flags(opdef, run, given, opts.force_flags)
    if opts.force_sourcecode:
        current = structure.compute(ctx, opdef, project_dir_for(ctx, opdef))
        structure.check(ctx, run.get("structure"), current, opts.force_structure)
    rows: list[PlanRow] = []
    changed: dict[str, str] = {}
    targets = links.linked_ids(run.path)
    for step in parse_steps(opdef):
        step_given = step_flags(step, flags)
        link = run.path / step.link_name
        step_run = links.checked_target(run, step.link_name)
        if step_run is None:
            state = links.state(link)
            key = f"new:{step.link_name}" if state == links.MISSING else links.target_id(link)
            reason = "link missing" if state == links.MISSING else f"target deleted ({key[:8]} not found)"
            rows.append(PlanRow(step.link_name, "create", "", reason))
            changed[key] = step.link_name
            continue
        child = replace(opts, needed=opts.needed or bool(step.options.get("needed")),
                        force_sourcecode=opts.force_sourcecode or bool(step.options.get("force_sourcecode")))
        d = _decide(ctx, step_run, step_given, child, changed, targets)
        rows.append(PlanRow(step.link_name, d.action, step_run.id, d.reason))
        if d.action != "reuse":
            changed[step_run.id] = step.link_name
    return rows
