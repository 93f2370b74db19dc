"""Restarting and starting existing runs (``run --restart RUN``, ``run --start RUN``).

A restart reuses the run's directory. It replays the operation as recorded
in the run (its ``op`` attribute and its source snapshot) unless
``--force-sourcecode`` asks for the project's current definition and source.
What runs next (the op's process, a pipeline's steps, a batch's trials) is
the engine's to decide; this module decides whether and with what.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError, RunBusy, RunStoreError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import attrs as attrs_mod
from ..store import labels, select, status, store
from ..store.filters import RunFilter
from ..store.run import Run
from . import needed
from .lifecycle import initial_label, record_op, snapshot_source
from .opdefs import recorded_opdef, restart_flags, restart_opdef
from .options import RunOptions


def find_run(ctx: Context, spec: str) -> Run:
    return select.select_one(store.list_runs(ctx), spec, help_cmd=None)


def find_proto(ctx: Context, spec: str) -> Run:
    """The run ``--proto SPEC`` names: a run directory, an operation (its
    marked run, else its latest) or the start of a run id; never an index."""
    path = Path(spec).expanduser()
    if (path / ".guild").is_dir():
        path = path.resolve()
        return Run(path.name, path)
    for flt in (RunFilter(ops=[spec], marked=True), RunFilter(ops=[spec])):
        runs = store.list_runs(ctx, flt)
        if runs:
            return runs[0]
    runs = store.list_runs(ctx)
    ids: list[str] = getattr(runs, "ids", None) or [r.id for r in runs]  # an index list knows its ids
    found = [i for i, rid in enumerate(ids) if rid == spec] or [i for i, rid in enumerate(ids) if rid.startswith(spec)]
    if not found:
        raise select.not_found(spec, "run")
    if len(found) > 1:
        raise select.ambiguous(spec, [runs[i] for i in found])
    return runs[found[0]]


def check_readable(run: Run) -> None:
    """Refuse, before anything is changed, to restart a run whose attributes
    cannot all be read: a restart rewrites them and would lose what is left."""
    for name in attrs_mod.names(run.path):
        try:
            attrs_mod.read(run.path, name)
        except RunStoreError as e:
            raise GuildlikeError(
                f"cannot restart run {run.id}: {e.message}",
                ["Nothing was changed. 'guildlike check' reports what is damaged."],
            ) from None


@dataclass
class Restart:
    """What a restart of a run will do: the operation, its flags and the options."""

    opdef: OpDef
    flags: dict[str, Any]
    opts: RunOptions
    given: dict[str, Any] | None = None


def prepare(ctx: Context, run: Run, given: dict[str, Any], opts: RunOptions) -> Restart | None:
    """Check that ``run`` can restart and work out how; None when ``--needed`` reuses it.

    The caller holds the run's claim (``status.claim``).
    """
    run.invalidate()
    st = run.status
    if st == status.RUNNING:
        raise RunBusy(run.id, "restart")
    check_readable(run)
    opdef = restart_opdef(ctx, run, opts.force_sourcecode)
    flags = restart_flags(opdef, run, given, opts.force_flags)
    if opts.trigger == "run":
        opts = replace(opts, trigger=f"restart {run.id}")
    # A batch decides for itself: with --needed it reruns what did not complete.
    # A pipeline given new source lets each step decide.
    if opts.needed and opdef.batch is None and not (opdef.is_pipeline and opts.force_sourcecode):
        decision = needed.decide(ctx, run, opdef, flags, opts.force_sourcecode, opts.changed_runs, opts.candidates)
        if decision.action == "reuse":
            ctx.ui.message(needed.SKIP_MESSAGE)
            return None
        if st == status.COMPLETED and not decision.reason.startswith("flags changed"):
            ctx.ui.info(f"rerunning {run.short_id}: {decision.reason}")
    return Restart(opdef, flags, opts, flagsmod.user_flags(opdef, given, flags) if given else None)


def apply(ctx: Context, run: Run, plan: Restart) -> None:
    """Write what a restart changes in the run (not a batch's: it writes its own)."""
    opdef, flags, opts = plan.opdef, plan.flags, plan.opts
    if opts.force_sourcecode:
        record_op(run, opdef)
        if not opdef.is_pipeline:
            snapshot_source(ctx, run, opdef)
    run.set("flags", flags)
    if plan.given:
        typed = run.get("user_flags")
        run.set("user_flags", {**(typed if isinstance(typed, dict) else {}), **plan.given})
    template = run.get("label_template")
    if template is None and opts.label is None:
        run.set("label", initial_label(opdef, flags, RunOptions(tags=run.tags)))
    elif opts.label is not None:
        run.set("label_template", opts.label)
        run.set("label", labels.run_label(flags, opts.label))


def check_staged(run: Run, mine: bool) -> OpDef:
    """The operation of a staged run about to start; an error when it is not staged."""
    run.invalidate()
    st = run.status if mine else status.RUNNING
    if st != status.STAGED:
        raise GuildlikeError(f"run {run.id} is not staged (status is {st})")
    return recorded_opdef(run)
