"""Restarting and starting existing runs (``run --restart RUN``, ``run --start RUN``).

A restart reuses the run's directory. It replays the operation as recorded
in the run (its ``op`` attribute and its source snapshot) unless
``--force-sourcecode`` asks for the project's current definition and source.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError, RunBusy
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import labels, select, status, store
from ..store.run import Run
from .options import RunOptions
from .run import decode_flag_args, initial_label, resolve_opdef, snapshot_source, start_run

SKIP_MESSAGE = "Skipping run because flags have not changed (--needed specified)"


def find_run(ctx: Context, spec: str) -> Run:
    return select.select_one(store.list_runs(ctx), spec, help_cmd=None)


def recorded_opdef(run: Run) -> OpDef:
    data = run.get("op")
    if not isinstance(data, dict) or "name" not in data:
        raise GuildlikeError(
            f"cannot restart run {run.id}: it has no guildlike operation record "
            "(was it created by another tool?)"
        )
    return OpDef.from_data(data)


def project_dir_for(ctx: Context, recorded: OpDef) -> Path:
    """The recorded project folder, or the current one when the recorded one is
    not on this machine (a run imported from elsewhere)."""
    if recorded.project_dir:
        p = Path(recorded.project_dir)
        if p.is_dir() and (not recorded.guildfile or Path(recorded.guildfile).is_file()):
            return p
    return ctx.cwd


def current_opdef(ctx: Context, recorded: OpDef) -> OpDef:
    """The operation as the project defines it now (for --force-sourcecode)."""
    project = project_dir_for(ctx, recorded)
    if recorded.batch is not None:
        fresh = current_opdef(ctx, recorded_base(recorded))
        batch = dict(recorded.batch, trial_op=fresh.to_data())
        return OpDef.from_data({**fresh.to_data(), "batch": batch, "name": recorded.name})
    spec = recorded.script or recorded.full_name
    return resolve_opdef(ctx, spec, project)


def recorded_base(batch_opdef: OpDef) -> OpDef:
    """The trial op recorded in a batch run's op."""
    assert batch_opdef.batch is not None
    return OpDef.from_data(batch_opdef.batch["trial_op"])


def restart_spec(ctx: Context, spec: str, flag_args: list[str], opts: RunOptions) -> Run | None:
    run = find_run(ctx, spec)
    return restart(ctx, run, decode_flag_args(flag_args), opts)


def plan_spec(ctx: Context, spec: str, flag_args: list[str], opts: RunOptions) -> tuple[Run, list[Any]]:
    from .plan import plan

    run = find_run(ctx, spec)
    return run, plan(ctx, run, decode_flag_args(flag_args), opts)


def check_readable(run: Run) -> None:
    """Refuse, before anything is changed, to restart a run whose attributes
    cannot all be read: a restart rewrites them and would lose what is left."""
    from ..errors import RunStoreError
    from ..store import attrs as attrs_mod

    for name in attrs_mod.names(run.path):
        try:
            attrs_mod.read(run.path, name)
        except RunStoreError as e:
            raise GuildlikeError(
                f"cannot restart run {run.id}: {e.message}",
                ["Nothing was changed. 'guildlike check' reports what is damaged."],
            ) from None


def restart(ctx: Context, run: Run, given: dict[str, Any], opts: RunOptions) -> Run | None:
    """Restart ``run`` in place with ``given`` flags; None when --needed skips it."""
    with status.claim(run.path) as mine:
        if not mine:
            raise RunBusy(f"run {run.id} is still running (another process is restarting it)",
                          ["Stop it first or wait for it to finish."])
        return _restart(ctx, run, given, opts)


def _restart(ctx: Context, run: Run, given: dict[str, Any], opts: RunOptions) -> Run | None:
    run.invalidate()
    st = run.status
    if st == status.RUNNING:
        raise RunBusy(f"run {run.id} is still running", ["Stop it first or wait for it to finish."])
    check_readable(run)
    opdef = recorded_opdef(run)
    if opts.force_sourcecode:
        opdef = current_opdef(ctx, opdef)
    old_flags = run.flags
    base = dict(opdef.flag_defaults())
    base.update(old_flags)
    flags = flagsmod.resolve(opdef, given, base=base, force_flags=opts.force_flags)
    if opts.trigger == "run":
        opts = replace(opts, trigger=f"restart {run.id}")
    # A batch decides for itself: with --needed it reruns what did not complete.
    # A pipeline given new source lets each step decide.
    if opts.needed and opdef.batch is None and not (opdef.is_pipeline and opts.force_sourcecode):
        from . import needed

        decision = needed.decide(
            ctx, run, opdef, flags, opts.force_sourcecode, opts.changed_runs, opts.candidates
        )
        if decision.action == "reuse":
            ctx.ui.message(SKIP_MESSAGE)
            return None
        if st == status.COMPLETED and not decision.reason.startswith("flags changed"):
            ctx.ui.info(f"rerunning {run.short_id}: {decision.reason}")
    if opdef.batch is not None:
        from . import batch

        batch.restart_batch(ctx, run, opdef, flags, opts)
        return run
    if opts.force_sourcecode:
        run.set("op", opdef.to_data())
        if not opdef.is_pipeline:
            snapshot_source(ctx, run, opdef)
    run.set("flags", flags)
    template = run.get("label_template")
    if template is None and opts.label is None:
        run.set("label", initial_label(opdef, flags, RunOptions(tags=run.tags)))
    elif opts.label is not None:
        run.set("label_template", opts.label)
        run.set("label", labels.run_label(flags, opts.label))
    start_run(ctx, run, opdef, opts)
    return run


def start_staged(ctx: Context, spec: str, opts: RunOptions) -> Run:
    run = find_run(ctx, spec)
    with status.claim(run.path) as mine:  # two starts at once: one goes on
        run.invalidate()
        st = run.status if mine else status.RUNNING
        if st != status.STAGED:
            raise GuildlikeError(f"run {run.id} is not staged (status is {st})")
        opdef = recorded_opdef(run)
        start_run(ctx, run, opdef, opts)
    return run
