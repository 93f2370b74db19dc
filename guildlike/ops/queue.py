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

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..context import Context
from ..errors import ExecutorError, Interrupted, UsageError
from ..store import status, store
from ..store.filters import RunFilter
from ..store.run import Run
from .background import spawn_detached
from .executor_config import executor_setting
from .executors import make_executor

QUEUE_TRIGGER = "queue"  # the trigger of the attempts the queue starts (``runs log``)
DEFAULT_POLL_S = 10.0  # as Guild's queue
_TICK_S = 0.1  # between looks at the runs in flight
_LOCAL = "local"
_GPUS = re.compile(r"^([A-Za-z0-9-]+(,[A-Za-z0-9-]+)*)?$")  # "" hides every GPU, as run --no-gpus

Starter = subprocess.Popen[bytes] | None  # None: a run a queue started before this one


@dataclass
class QueueSettings:
    max_parallel: int = 1
    executor: str | None = None
    poll_interval: float = DEFAULT_POLL_S
    run_once: bool = False
    wait_for_running: bool = False
    gpus: str | None = None  # CUDA_VISIBLE_DEVICES of the runs it starts; runs staged for others are left


@dataclass
class QueueReport:
    """What a queue did: the runs it started, those it could not start."""

    started: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)


def check_settings(ctx: Context, settings: QueueSettings) -> None:
    """Bad settings are an error before anything is started; ``settings.executor``
    becomes what names it (the option, the environment or the home's config)."""
    if settings.max_parallel < 1:
        raise UsageError(f"invalid --max-parallel {settings.max_parallel}: use 1 or more")
    if not settings.poll_interval > 0:
        raise UsageError(f"invalid --poll-interval {settings.poll_interval}: use a number of seconds above 0")
    if settings.gpus is not None and not _GPUS.match(settings.gpus):
        raise UsageError(f"invalid --gpus {settings.gpus!r}: use device numbers or ids separated by commas (0,1)")
    setting = executor_setting(ctx, settings.executor)
    if isinstance(setting, dict):
        raise UsageError(
            "a queue cannot start a dask-jobqueue cluster of its own (each run is started by a process of its own)",
            ["Start the cluster and give the queue its scheduler: --executor dask://HOST:PORT"],
        )
    settings.executor = setting
    make_executor(ctx, setting)  # an unknown executor, a missing extra, no scheduler


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


def staged_gpus(run: Run) -> str | None:
    """The ``--gpus`` a run was staged with (None: none given)."""
    params = run.get("run_params")
    gpus = params.get("gpus") if isinstance(params, dict) else None
    return gpus if isinstance(gpus, str) else None


def _within(run: Run, ids: set[str]) -> bool:
    """True when ``run`` is one of ``ids``, or a step or trial of one (at any depth)."""
    seen: set[str] = set()
    current: Run | None = run
    while current is not None and current.id not in seen:
        if current.id in ids:
            return True
        seen.add(current.id)
        parent = current.get("parent")
        current = Run(parent, current.path.parent / parent) if isinstance(parent, str) and parent else None
    return False


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM stop the queue; SIGHUP is left as it is (``nohup`` ignores it)."""

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signum, 128 + signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def run_queue(ctx: Context, settings: QueueSettings) -> QueueReport:
    """Start staged runs until stopped (SIGINT, SIGTERM) or, with ``run_once``,
    until none is staged and the runs it started have ended."""
    check_settings(ctx, settings)
    queue = _Queue(ctx, settings)
    where = settings.executor or _LOCAL
    ctx.ui.info(f"Starting queue ({settings.max_parallel} at a time, {where})")
    for run_id in queue.active:
        ctx.ui.info(f"Run {run_id} was started by a queue and still runs: counted as running")
    try:
        with _stop_on_signals():
            queue.loop()
    except Interrupted:
        pass
    finally:
        ctx.ui.info(f"Stopping queue ({len(queue.report.started)} run(s) started)")
    return queue.report


class _Queue:
    """A queue's state while it runs: the runs in flight, what it did, what it said."""

    def __init__(self, ctx: Context, settings: QueueSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.report = QueueReport()
        self.active: dict[str, Starter] = {r.id: None for r in queue_started_runs(ctx)}
        self._said: set[str] = set()  # messages said once until something starts
        self._said_once: set[str] = set()  # messages said once

    def _say(self, msg: str, once: bool = False) -> None:
        said = self._said_once if once else self._said
        if msg not in said:
            said.add(msg)
            self.ctx.ui.info(msg)

    def loop(self) -> None:
        next_poll = 0.0
        while True:
            ended = self._reap()
            now = time.monotonic()
            if ended or now >= next_poll:
                next_poll = now + self.settings.poll_interval
                left = self._fill()
                if self.settings.run_once and not self.active and not left:
                    return
                if not self.active and not left and not self.settings.run_once:
                    self._say("Waiting for staged runs")
            time.sleep(_TICK_S)

    def _reap(self) -> bool:
        """Forget the runs that have ended (saying how); True when one has."""
        ended = []
        for run_id, starter in self.active.items():
            if starter is not None:
                if starter.poll() is None:
                    continue
            elif store.run_for_id(self.ctx, run_id).status == status.RUNNING:
                continue
            ended.append(run_id)
        for run_id in ended:
            del self.active[run_id]
            self.ctx.ui.info(f"Run {run_id} ended ({store.run_for_id(self.ctx, run_id).status})")
        return bool(ended)

    def _startable(self) -> list[Run]:
        """The staged runs this queue may start now, oldest first."""
        found = []
        for run in staged_runs(self.ctx):
            if run.id in self.active or run.id in self.report.not_started:
                continue
            gpus = staged_gpus(run)
            if self.settings.gpus is not None and gpus is not None and gpus != self.settings.gpus:
                self._say(f"Ignoring staged run {run.id} (GPU spec mismatch: run is {gpus}, "
                          f"queue is {self.settings.gpus})", once=True)
                continue
            found.append(run)
        return found

    def _blocking(self) -> list[str]:
        """With ``wait_for_running``: the running runs this queue did not start."""
        if not self.settings.wait_for_running:
            return []
        running = store.list_runs(self.ctx, RunFilter(statuses={status.RUNNING}))
        return [r.id for r in running if not _within(r, set(self.active))]

    def _fill(self) -> int:
        """Start staged runs while slots are free; the number of startable runs left."""
        candidates = self._startable()
        blocking = self._blocking() if candidates else []
        if blocking:
            self._say(f"Found staged run {candidates[0].id} (waiting for runs to finish: {', '.join(blocking)})")
            return len(candidates)
        started = 0
        for run in candidates:
            if len(self.active) >= self.settings.max_parallel:
                break
            if self._start(run):
                started += 1
        if started:
            self._said.clear()
        return len(candidates) - started

    def _start(self, run: Run) -> bool:
        """Hand ``run`` to a starter process; True when the run is its own."""
        gpus = self.settings.gpus if self.settings.gpus is not None else staged_gpus(run)
        answer, detail, starter = _start(self.ctx, run, self.settings.executor, gpus)
        if answer == "claimed":
            self.active[run.id] = starter
            self.report.started.append(run.id)
            self.ctx.ui.info(f"Starting staged run {run.id} ({run.op_name})")
            return True
        if answer == "error":
            raise ExecutorError(self.settings.executor or _LOCAL, detail)
        if answer != "busy":
            self.report.not_started.append(run.id)
            self.ctx.ui.warning(f"could not start staged run {run.id}: {detail}")
        return False


def _start(ctx: Context, run: Run, executor: str | None, gpus: str | None) -> tuple[str, str, subprocess.Popen[bytes]]:
    """Hand ``run`` to a starter process: (its answer, detail, the process).

    ``claimed``: the run is the process's to start; ``busy``: another process
    has it, or it is no longer staged; ``error``: the executor cannot take
    runs; anything else: the process ended without an answer.
    """
    env = dict(ctx.env)
    env["GUILDLIKE_HOME"] = str(ctx.home)
    r, w = os.pipe()
    try:
        cmd = [sys.executable, "-m", "guildlike.ops.queue_main", str(w), run.id, executor or "", json.dumps(gpus)]
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

