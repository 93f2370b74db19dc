"""Batch runs: a run of its own (``OP+``, ``OP+random``, ``OP+bayesian``) that runs trials.

Each trial is a normal run of ``OP`` whose label is its flags. The batch
records its trials (``trials`` attribute: flags and run id) and links to
them. Restarting a batch runs fresh trials; with ``--needed`` only the
trials that failed, were terminated or never ran are run again, with the
flag values they had (Guild would generate new ones).
"""

from __future__ import annotations

import random
from typing import Any

from ..errors import GuildlikeError, RunFailed
from ..guildfile.opdef import OpDef
from ..store import status
from ..store.run import Run
from ..util.files import remove_tree
from ..util.yamlutil import encode_value
from . import optimize
from . import trials as trialsmod
from .batchdef import batch_opdef, check_trials, generate
from .compare import best_trial
from .lifecycle import finish, mark_staged, mark_started, prepare_run, recording_end, snapshot_source, storable_flags
from .needed import SKIP_MESSAGE
from .objective import Best, objective_for
from .opdefs import trial_opdef
from .options import RunOptions
from .runner import Runner
from .trialrecords import TrialRecords, existing_trials, needs_work, repair_records
from .trialrun import new_trial, run_parallel, run_trial

LISTED_KINDS = ("grid", "random")  # batches whose trials are known before they run


def trials_table(trials: list[dict[str, Any]]) -> list[list[str]]:
    """``--print-trials``: a header row, then one row of flag values per trial."""
    names = sorted({n for t in trials for n in t})
    return [["#"] + names] + [[str(i)] + [encode_value(t.get(n)) for n in names] for i, t in enumerate(trials, 1)]


def _check_optimizer(kind: str, opts: RunOptions, base: OpDef, flags: dict[str, Any]) -> None:
    """Errors a model-based search would meet, found before the batch run is made."""
    if kind in LISTED_KINDS:
        return
    optimize.check_available()
    optimize.distributions(base, flags)
    if opts.print_trials:
        raise GuildlikeError(f"--print-trials is not supported for optimizer '{kind}'")
    if opts.stage_trials:
        raise GuildlikeError(
            f"--stage-trials is not supported for optimizer '{kind}'",
            ["Its trials depend on the results of earlier ones."],
        )


def run_batch(runner: Runner, opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> Run | None:
    """Make a batch run of ``opdef`` and run its trials; None with ``--print-trials``."""
    ctx = runner.ctx
    kind = trialsmod.kind(flags, opts.optimizer)
    _check_optimizer(kind, opts, opdef, flags)
    seed = opts.random_seed if opts.random_seed is not None else random.randrange(2**31)
    bop = batch_opdef(opdef, kind, opts, seed)
    trials: list[dict[str, Any]] = []
    if kind in LISTED_KINDS:
        trials = check_trials(opdef, generate(ctx, opdef, bop, flags), opts)
        if opts.print_trials:
            ctx.ui.table(trials_table(trials))
            return None
    batch_opts = opts.for_child(
        label=opts.batch_label or "",
        tags=list(opts.batch_tags),
        run_id=opts.run_id,
        parent_id=opts.parent_id,
        candidates=opts.candidates,
        trigger=opts.trigger,
        keep_batch=opts.keep_batch,
        fail_on_trial_error=opts.fail_on_trial_error,
        max_parallel=opts.max_parallel,
        stage_trials=opts.stage_trials,
    )
    batch = prepare_run(ctx, bop, flags, batch_opts)
    if opts.stage:
        mark_staged(batch)
        ctx.ui.message(f"{bop.full_name} staged as {batch.id}")
        ctx.ui.message(f"To start the operation, use 'guildlike run --start {batch.id}'")
        return batch
    _run(runner, batch, bop, flags, trials, opts, fresh=True)
    return batch


def start_batch(runner: Runner, batch: Run, bop: OpDef, opts: RunOptions) -> None:
    """Run a staged batch: its trials are drawn as they would have been when it
    was staged (its search, with its seed, is recorded in its operation)."""
    base = trial_opdef(bop)
    flags = trialsmod.decode_spaces(base, dict(batch.flags))
    trials: list[dict[str, Any]] = []
    if (bop.batch or {}).get("kind") in LISTED_KINDS:
        trials = check_trials(base, generate(runner.ctx, base, bop, flags), opts)
    _run(runner, batch, bop, flags, trials, opts, fresh=True)


def restart_batch(runner: Runner, batch: Run, bop: OpDef, flags: dict[str, Any], opts: RunOptions) -> None:
    """Run ``batch`` again: fresh trials, or with ``--needed`` only what did not complete."""
    ctx = runner.ctx
    base = trial_opdef(bop)
    spec = bop.batch or {}
    kind = spec["kind"]
    flags = trialsmod.decode_spaces(base, flags)
    _check_optimizer(kind, opts, base, flags)
    unchanged = storable_flags(flags) == storable_flags(trialsmod.decode_spaces(base, batch.flags))
    needed_only = opts.needed and unchanged
    if opts.max_trials is not None:
        spec["max_trials"] = opts.max_trials
    if opts.random_seed is not None:
        spec["random_seed"] = opts.random_seed
    elif kind != "grid" and not needed_only:
        spec["random_seed"] = random.randrange(2**31)
    if opts.force_sourcecode:
        snapshot_source(ctx, batch, bop)
    batch.set("op", bop.to_data())
    batch.set("flags", storable_flags(flags))
    if needed_only:
        if not needs_work(ctx, batch, spec):
            ctx.ui.message(SKIP_MESSAGE)
            return
        _run(runner, batch, bop, flags, None, opts, fresh=False)
        return
    trials: list[dict[str, Any]] = []
    keep: list[Run] = []
    if kind in LISTED_KINDS:
        trials = check_trials(base, generate(ctx, base, bop, flags), opts)
        if opts.needed:  # new flag values: a trial that completed with the same values is kept
            keep = [r for _, r in existing_trials(ctx, batch) if r is not None and r.status == status.COMPLETED]
    _run(runner, batch, bop, flags, trials, opts, fresh=True, keep=keep)


def _keep_batch(batch: Run, opts: RunOptions) -> bool:
    params = batch.get("run_params") or {}
    return opts.keep_batch or opts.stage_trials or bool(isinstance(params, dict) and params.get("keep_batch"))


def _run(
    runner: Runner,
    batch: Run,
    bop: OpDef,
    flags: dict[str, Any],
    trials: list[dict[str, Any]] | None,
    opts: RunOptions,
    fresh: bool,
    keep: list[Run] | None = None,
) -> None:
    base = trial_opdef(bop)
    if not fresh:
        repair_records(runner.ctx, batch)
    mark_started(runner.ctx, batch, opts)
    with recording_end(batch):
        if bop.batch and bop.batch["kind"] not in LISTED_KINDS:
            failed = optimize.run(runner, batch, bop, base, flags, opts, fresh)
        else:
            failed = _run_listed(runner, batch, bop, base, trials, opts, fresh, keep or [])
    code = 1 if failed else 0
    finish(batch, code)
    found = None if opts.stage_trials else best_trial(runner.ctx, batch)
    if found is not None:
        runner.ctx.ui.info(found[1])
    if code == 0 and not _keep_batch(batch, opts):
        remove_tree(batch.path)
    if failed:
        raise RunFailed(1, f"{len(failed)} trial(s) failed")


def _run_listed(
    runner: Runner,
    batch: Run,
    bop: OpDef,
    base: OpDef,
    trials: list[dict[str, Any]] | None,
    opts: RunOptions,
    fresh: bool,
    keep: list[Run],
) -> list[int]:
    """Run a grid, file or random batch; the exit statuses of the trials that failed.

    A fresh trial whose flags match a run in ``keep`` takes that run (which
    completed) instead of running again.
    """
    if fresh:
        assert trials is not None
        planned: list[tuple[dict[str, Any], Run | None]] = [(t, _take(keep, t)) for t in trials]
    else:
        planned = existing_trials(runner.ctx, batch)
    records = TrialRecords(batch, planned)
    parallel = 1 if opts.stage_trials else opts.max_parallel
    best = Best(objective_for(base, bop.batch or {}), side_by_side=parallel > 1)
    total = len(planned)
    for _, trun in planned:
        if trun is not None and trun.status == status.COMPLETED:
            best.add(trun)
            best.ended(None)

    def one(i: int) -> int:
        tflags, trun = planned[i]
        if trun is not None and trun.status == status.COMPLETED:
            return 0
        if trun is None:
            trun = new_trial(runner, batch, base, tflags, opts)
            records.set_run(i, trun.id)
        if opts.stage_trials:
            mark_staged(trun)
            runner.ctx.ui.info(f"Staged trial {trun.id}: {base.full_name}")
            return 0
        best.started()
        runner.ctx.ui.progress(best.progress(i + 1, total))
        code = run_trial(runner, batch, base, trun, tflags, opts)
        if code == 0:
            best.add(trun)
        best.ended(code)
        if best.side_by_side:
            runner.ctx.ui.progress(best.progress(i + 1, total))
        return code

    try:
        codes = run_parallel(runner, list(range(total)), one, parallel)
    finally:
        records.flush()
    return [c for c in codes if c]


def _take(runs: list[Run], flags: dict[str, Any]) -> Run | None:
    """The first of ``runs`` with ``flags``, removed from ``runs``; None when none has them."""
    for i, run in enumerate(runs):
        if run.flags == flags:
            return runs.pop(i)
    return None
