"""The queue (``guildlike queue``): starts staged runs as they appear, oldest first, N at a time.

The queue is a plain long-running command, not a run of its own, and it
keeps no state: what it does is read from the runs. Each staged run it
takes is started by a process of its own (``python -m
guildlike.ops.queue_main``), detached as a background run's process is
(``background.spawn_detached``), so that:

- a run is never started twice: the starter process takes the run's claim
  (``status.claim``, the one ``run --start``, ``run --restart`` and a batch
  starting its staged trials take) and checks that the run is still staged
  before it says to the queue that the run is its own; a queue that loses
  the race hears ``busy`` and goes on;
- the queue may die (kill -9) or be stopped while its runs go on: they are
  not its children in any way that matters, they record their own end, and
  a new queue sees them ``running``, never ``staged``. A new queue counts
  the runs that a queue started and that still run against its ``-n``;
- a run that fails before its process starts (a dependency that cannot be
  resolved) ends ``error`` with one attempt, written by the starter process
  under the claim: it is no longer staged, so no queue tries it again.

The queue waits for its starter processes, so a stopped run (``runs stop``)
frees its slot as a run that ends does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from ..context import Context
from ..errors import ExecutorError, Interrupted, UsageError
from ..store import status, store
from ..store.filters import RunFilter
from ..store.run import Run
from . import process
from .background import spawn_detached
from .executors import make_executor

QUEUE_TRIGGER = "queue"  # the trigger of the attempts the queue starts (``runs log``)
DEFAULT_POLL_S = 10.0  # as Guild's queue
_TICK_S = 0.1  # between looks at the runs in flight
_LOCAL = "local"

Starter = subprocess.Popen[bytes] | None  # None: a run a queue started before this one


@dataclass
class QueueSettings:
    max_parallel: int = 1
    executor: str | None = None
    poll_interval: float = DEFAULT_POLL_S
    run_once: bool = False


@dataclass
class QueueReport:
    """What a queue did: the runs it started, those it could not start."""

    started: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)


def check_settings(settings: QueueSettings) -> None:
    """Bad settings are an error before anything is started."""
    if settings.max_parallel < 1:
        raise UsageError(f"invalid --max-parallel {settings.max_parallel}: use 1 or more")
    if not settings.poll_interval > 0:
        raise UsageError(f"invalid --poll-interval {settings.poll_interval}: use a number of seconds above 0")
    make_executor(settings.executor)  # an unknown executor, a missing extra, no scheduler


def staged_runs(ctx: Context) -> list[Run]:
    """The staged runs, oldest first (a staged run's time is when it was staged)."""
    return list(reversed(store.list_runs(ctx, RunFilter(statuses={status.STAGED}))))


def _last_trigger(run: Run) -> str:
    attempts = run.get("attempts")
    if not isinstance(attempts, list) or not attempts or not isinstance(attempts[-1], dict):
        return ""
    trigger = attempts[-1].get("trigger")
    return str(trigger.get("kind", "")) if isinstance(trigger, dict) else ""


def queue_started_runs(ctx: Context) -> list[Run]:
    """The running runs that a queue started (its latest attempt's trigger says so)."""
    running = store.list_runs(ctx, RunFilter(statuses={status.RUNNING}))
    return [r for r in running if _last_trigger(r) == QUEUE_TRIGGER]


def run_queue(ctx: Context, settings: QueueSettings) -> QueueReport:
    """Start staged runs until stopped (SIGINT, SIGTERM) or, with ``run_once``,
    until none is staged and the runs it started have ended."""
    check_settings(settings)
    report = QueueReport()
    active: dict[str, Starter] = {r.id: None for r in queue_started_runs(ctx)}
    where = settings.executor or _LOCAL
    ctx.ui.info(f"Starting queue ({settings.max_parallel} at a time, {where})")
    for run_id in active:
        ctx.ui.info(f"Run {run_id} was started by a queue and still runs: counted as running")
    try:
        with process.interrupt_on_signals():
            _loop(ctx, settings, active, report)
    except Interrupted:
        pass
    finally:
        ctx.ui.info(f"Stopping queue ({len(report.started)} run(s) started)")
    return report


def _loop(ctx: Context, settings: QueueSettings, active: dict[str, Starter], report: QueueReport) -> None:
    next_poll = 0.0
    waiting_said = False
    while True:
        ended = _reap(ctx, active)
        now = time.monotonic()
        if ended or now >= next_poll:
            next_poll = now + settings.poll_interval
            started, left = _fill(ctx, settings, active, report)
            if settings.run_once and not active and not left:
                return
            if started:
                waiting_said = False
            elif not active and not left and not waiting_said and not settings.run_once:
                ctx.ui.info("Waiting for staged runs")
                waiting_said = True
        time.sleep(_TICK_S)


def _reap(ctx: Context, active: dict[str, Starter]) -> bool:
    """Forget the runs that have ended (saying how); True when one has."""
    ended = []
    for run_id, starter in active.items():
        if starter is not None:
            if starter.poll() is None:
                continue
        elif store.run_for_id(ctx, run_id).status == status.RUNNING:
            continue
        ended.append(run_id)
    for run_id in ended:
        del active[run_id]
        ctx.ui.info(f"Run {run_id} ended ({store.run_for_id(ctx, run_id).status})")
    return bool(ended)


def _fill(ctx: Context, settings: QueueSettings, active: dict[str, Starter], report: QueueReport) -> tuple[int, int]:
    """Start staged runs while slots are free: (runs started, staged runs left)."""
    candidates = [r for r in staged_runs(ctx) if r.id not in active and r.id not in report.not_started]
    started = 0
    for run in candidates:
        if len(active) >= settings.max_parallel:
            break
        answer, detail, starter = _start(ctx, run, settings.executor)
        if answer == "claimed":
            active[run.id] = starter
            report.started.append(run.id)
            started += 1
            ctx.ui.info(f"Starting staged run {run.id} ({run.op_name})")
        elif answer == "error":
            raise ExecutorError(settings.executor or _LOCAL, detail)
        elif answer != "busy":
            report.not_started.append(run.id)
            ctx.ui.warning(f"could not start staged run {run.id}: {detail}")
    return started, len(candidates) - started


def _start(ctx: Context, run: Run, executor: str | None) -> tuple[str, str, subprocess.Popen[bytes]]:
    """Hand ``run`` to a starter process: (its answer, detail, the process).

    ``claimed``: the run is the process's to start; ``busy``: another process
    has it, or it is no longer staged; ``error``: the executor cannot take
    runs; anything else: the process ended without an answer.
    """
    env = dict(ctx.env)
    env["GUILDLIKE_HOME"] = str(ctx.home)
    r, w = os.pipe()
    try:
        cmd = [sys.executable, "-m", "guildlike.ops.queue_main", str(w), run.id, executor or ""]
        proc = spawn_detached(cmd, ctx.cwd, env, w)
    finally:
        os.close(w)
    with os.fdopen(r, "rb") as answers:
        line = answers.readline().decode("utf-8", errors="replace").strip()
    answer, _, detail = line.partition(" ")
    if not answer:
        code = proc.wait()
        return "lost", f"its starter process exited with status {code} before taking it", proc
    return answer, detail, proc

