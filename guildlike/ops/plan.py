"""``run --restart RUN --plan``: what a restart would do with each step, and why. Runs nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError
from ..guildfile import flags as flagsmod
from ..store.run import Run
from . import needed
from .options import RunOptions


@dataclass
class PlanRow:
    step: str
    action: str  # reuse, rerun, create
    run_id: str
    reason: str


def _opdef_for(ctx: Context, run: Run, force_sourcecode: bool) -> Any:
    from .restart import current_opdef, recorded_opdef

    opdef = recorded_opdef(run)
    return current_opdef(ctx, opdef) if force_sourcecode else opdef


def _decide(ctx: Context, run: Run, given: dict[str, Any], opts: RunOptions,
            changed: dict[str, str], targets: list[str] | None) -> needed.Decision:
    opdef = _opdef_for(ctx, run, opts.force_sourcecode)
    base = dict(opdef.flag_defaults())
    base.update(run.flags)
    flags = flagsmod.resolve(opdef, given, base=base, force_flags=opts.force_flags)
    if not opts.needed:
        return needed.Decision("rerun", "restarted (without --needed every step reruns)")
    if opdef.batch is not None:
        return _batch_decision(ctx, run, flags)
    return needed.decide(ctx, run, opdef, flags, opts.force_sourcecode, changed, targets, planning=True)


def _batch_decision(ctx: Context, run: Run, flags: dict[str, Any]) -> needed.Decision:
    """A batch with --needed reruns the trials that did not complete."""
    from ..store import status, store

    changes = needed.flag_changes(run.flags, {k: str(v) if isinstance(v, flagsmod.SearchSpace) else v
                                              for k, v in flags.items()})
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
    from . import steps as steps_mod
    from .restart import project_dir_for

    opdef = _opdef_for(ctx, run, opts.force_sourcecode)
    if not opdef.is_pipeline:
        d = _decide(ctx, run, given, opts, {}, None)
        return [PlanRow(opdef.full_name, d.action, run.id, d.reason)]
    base = dict(opdef.flag_defaults())
    base.update(run.flags)
    flags = flagsmod.resolve(opdef, given, base=base, force_flags=opts.force_flags)
    if opts.force_sourcecode:
        from . import structure

        current = structure.compute(ctx, opdef, project_dir_for(ctx, opdef))
        structure.check(ctx, run.get("structure"), current, opts.force_structure)
    rows: list[PlanRow] = []
    changed: dict[str, str] = {}
    targets = steps_mod._link_targets(run)
    for step in steps_mod.parse_steps(opdef):
        step_given = steps_mod.step_flags(step, flags)
        link = run.path / step.link_name
        state = steps_mod._link_state(link)
        if state == "other":
            raise GuildlikeError(f"unexpected step run link {link}: expected symlink")
        if state == "missing":
            rows.append(PlanRow(step.link_name, "create", "", "link missing"))
            changed[f"new:{step.link_name}"] = step.link_name
            continue
        if state == "dangling":
            target = os.path.basename(os.readlink(link))
            rows.append(PlanRow(step.link_name, "create", "", f"target deleted ({target[:8]} not found)"))
            changed[target] = step.link_name
            continue
        step_run = Run(os.path.basename(os.path.realpath(link)), Path(os.path.realpath(link)))
        child = replace(opts, needed=opts.needed or bool(step.options.get("needed")),
                        force_sourcecode=opts.force_sourcecode or bool(step.options.get("force_sourcecode")))
        d = _decide(ctx, step_run, step_given, child, changed, targets)
        rows.append(PlanRow(step.link_name, d.action, step_run.id, d.reason))
        if d.action != "reuse":
            changed[step_run.id] = step.link_name
    return rows
