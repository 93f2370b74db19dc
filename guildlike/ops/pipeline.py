"""Running a pipeline: each step a run of its own, linked from the pipeline's run.

The pipeline's run directory holds one relative symlink per step (``fail``,
``fail_2``, ...), made before the step starts. A restart walks the same
links: a link to an existing run restarts that run, a dangling or missing
link runs the step anew, and anything that is not a symlink (or leads out of
the home's runs) stops the restart before anything changes.
"""

from __future__ import annotations

from ..guildfile.opdef import OpDef
from ..store import links, status, store
from ..store.run import Run
from . import structure
from .lifecycle import finish, mark_started, recording_end
from .opdefs import project_dir_for, resolve_opdef
from .options import RunOptions
from .runner import Runner
from .stepdefs import Step, log_args, parse_steps, step_flags, step_opspec
from .teeui import recording_output


def check_links(run: Run, steps: list[Step]) -> None:
    """Stop a restart before anything changes when a step link is not a link,
    or links to a run outside the home's runs folder."""
    for step in steps:
        links.checked_target(run, step.link_name)


def _child_opts(opts: RunOptions, step: Step, run: Run, candidates: list[str]) -> RunOptions:
    o = step.options
    max_trials = o.get("max_trials")
    seed = o.get("random_seed")
    return opts.for_child(
        needed=bool(o.get("needed") or opts.needed),
        force_sourcecode=bool(o.get("force_sourcecode") or opts.force_sourcecode),
        max_trials=int(max_trials) if max_trials is not None else None,
        optimizer=o.get("optimizer"),
        random_seed=int(seed) if seed is not None else None,
        label=o.get("label"),
        tags=list(o.get("tags") or []),
        fail_on_trial_error=bool(o.get("fail_on_trial_error")),
        keep_batch=True,
        parent_id=run.id,
        candidates=candidates,
        trigger=f"pipeline {run.id}",
    )


def _output_changed(step_run: Run, since: int) -> bool:
    """True when the step ran in this pipeline attempt and its output differs from before."""
    step_run.invalidate()
    attempts = step_run.get("attempts") or []
    if not attempts or (attempts[-1].get("started") or 0) < since:
        return False
    if len(attempts) < 2:
        return True
    return bool(attempts[-1].get("data_digest") != attempts[-2].get("data_digest"))


def check_structure(runner: Runner, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    """Record the pipeline's structure, or compare it when the definition was read afresh."""
    recorded = run.get("structure")
    if recorded is not None and not opts.force_sourcecode:
        return
    current = structure.compute(runner.ctx, opdef, project_dir_for(runner.ctx, opdef))
    structure.check(runner.ctx, recorded, current, opts.force_structure)
    if recorded != current:
        run.set("structure", current)


def run_pipeline(runner: Runner, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    """Run (or restart) each step of ``run`` in turn; ``RunFailed`` at the first that fails."""
    steps = parse_steps(opdef)
    check_links(run, steps)
    check_structure(runner, run, opdef, opts)
    mark_started(runner.ctx, run, opts)
    since = run.get("started") or 0
    changed: dict[str, str] = {}
    # finish() reads the pipeline's scalars: its output (its steps') and its steps' own.
    with recording_end(run), recording_output(run, runner.ctx.ui) as ui:
        steps_runner = runner.with_ui(ui)
        for step in steps:
            _run_step(steps_runner, run, opdef, opts, step, since, changed)
    finish(run, 0)


def _run_step(
    runner: Runner, run: Run, opdef: OpDef, opts: RunOptions, step: Step, since: int, changed: dict[str, str]
) -> None:
    """Restart the step's linked run, or run the step anew behind a new link."""
    ctx = runner.ctx
    given = step_flags(step, run.flags)
    step_run = links.checked_target(run, step.link_name)
    child = _child_opts(opts, step, run, links.linked_ids(run.path))
    child.changed_runs = dict(changed)
    if step_run is not None:
        prefix = []
        if child.force_sourcecode:
            prefix.append("--force-sourcecode")
        if child.needed and step_run.status == status.COMPLETED:
            prefix.append("--needed")
        ctx.ui.info(f"restarting {step.name}: {step_run.id} {log_args(step, given, prefix)}".rstrip())
        runner.restart(step_run, given, child)
        if _output_changed(step_run, since):
            changed[step_run.id] = step.link_name
        return
    spec = step_opspec(opdef, step)
    new_id = store.new_run_id()
    links.point(run.path / step.link_name, new_id)
    ctx.ui.info(f"running {step.name}: {spec} {log_args(step, given, [])}".rstrip())
    step_opdef = resolve_opdef(ctx, spec, project_dir_for(ctx, opdef))
    child.run_id = new_id
    child.needed = bool(step.options.get("needed"))
    changed[new_id] = step.link_name
    runner.run_opdef(step_opdef, given, child)
