"""Running a batch's trials: each a run of its own, made from the batch's source,
handed to the runner one at a time or several side by side."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import Interrupted, RunBusy, RunFailed
from ..guildfile.opdef import OpDef
from ..store import links, status
from ..store.run import Run
from ..util.yamlutil import encode_value
from .lifecycle import INTERRUPTED_CODES, copy_source, initial_label, prepare_run
from .options import RunOptions
from .runner import Runner

_WAIT_S = 0.2  # between looks at a trial that another process runs

T = TypeVar("T")
R = TypeVar("R")


def new_trial(runner: Runner, batch: Run, base: OpDef, tflags: dict[str, Any], opts: RunOptions) -> Run:
    """Make (not run) a trial of ``batch``: a run of ``base`` with the batch's source, linked from it."""
    # -l and -t are the trials' (a label template expands per trial); -bl, -bt the batch's.
    topts = opts.for_child(
        parent_id=batch.id, trigger=f"batch {batch.id}", keep_batch=False, label=opts.label, tags=list(opts.tags)
    )
    run = prepare_run(runner.ctx, base, tflags, topts, snapshot=False)
    if not base.is_pipeline:  # a pipeline trial's steps snapshot their own source
        copy_source(batch, run)
    run.set("label", initial_label(base, tflags, topts))
    links.add(batch.path, run.id)
    return run


def trial_line(run: Run, base: OpDef, tflags: dict[str, Any]) -> str:
    shown = ", ".join(f"{n}={encode_value(tflags[n])}" for n in sorted(tflags) if tflags[n] is not None)
    return f"Running trial {run.id}: {base.full_name} ({shown})"


def run_trial(runner: Runner, batch: Run, base: OpDef, trun: Run, tflags: dict[str, Any], opts: RunOptions) -> int:
    """Run (or run again) one trial; 0 when it completed, else its exit status.

    An interrupted trial, or any failure with ``--fail-on-trial-error``,
    raises ``RunFailed`` to stop the batch.
    """
    runner.ctx.ui.info(trial_line(trun, base, tflags))
    # A restarted pipeline trial with --needed reuses the steps that completed.
    topts = opts.for_child(parent_id=batch.id, needed=opts.needed)
    try:
        return _run_or_restart(runner, trun, base, topts)
    except RunFailed as e:
        if e.exit_code in INTERRUPTED_CODES or opts.fail_on_trial_error:
            raise
        return e.exit_code


def _run_or_restart(runner: Runner, trun: Run, base: OpDef, opts: RunOptions) -> int:
    try:
        if trun.get("exit_status") is None and trun.get("started") is None:
            if (trun.guild_dir / "STAGED").exists():
                return _take_or_wait(runner, trun, base, opts)
            runner.start(trun, base, opts)
        else:
            runner.restart(trun, {}, opts)
    except RunBusy:  # a queue or ``run --start`` took the staged trial since the batch listed it
        return _take_or_wait(runner, trun, base, opts)
    return 0


def _take_or_wait(runner: Runner, trun: Run, base: OpDef, opts: RunOptions) -> int:
    """Start a staged trial under its claim, as ``run --start`` and a queue do, so that
    one of them runs it; when another process has it, wait for its end and take that."""
    told = False
    while True:
        with status.claim(trun.path) as mine:
            trun.invalidate()
            if mine and trun.status == status.STAGED:
                runner.start(trun, base, opts)
                return 0
            if mine and trun.status not in (status.RUNNING, status.PENDING):
                break
        if not told:
            runner.ctx.ui.info(f"Trial {trun.id} is run by another process: waiting for its end")
            told = True
        time.sleep(_WAIT_S)
    if trun.status == status.COMPLETED:
        return 0
    code = trun.get("exit_status")
    return code if isinstance(code, int) and code > 0 and code not in INTERRUPTED_CODES else 1


def run_parallel(runner: Runner, items: list[T], fn: Callable[[T], R], max_parallel: int) -> list[R]:
    """``fn`` over ``items``, ``max_parallel`` at a time, results in order."""
    if max_parallel <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor  # lazy: start-up speed (it brings in logging)

    with ThreadPoolExecutor(max_workers=max_parallel) as pool:
        try:
            return list(pool.map(fn, items))
        except Interrupted as e:
            # Signals reach this (main) thread only: the items not started
            # never start, and the runs still going are stopped by the
            # executor, or the pool would wait for them to end.
            pool.shutdown(wait=False, cancel_futures=True)
            runner.interrupt(e.signum)
            raise
