"""The Dask executor: each op run's process runs on a worker of a Dask cluster.

The home is on a filesystem that the CLI and every worker share at the same
path. The client submits one task per run; on the worker the task calls
``execute.execute`` with a context built from the home, so the run's record
(status, attempts, exit status, output, hashes, heartbeat) is written as a
local run's is, with the worker's host. The client waits for the task and
raises ``RunFailed`` as the local executor does.

No hidden retries: a task is submitted with ``retries=0``, and a scheduler
started with ``distributed.scheduler.allowed-failures: 0`` does not run a
task again when its worker dies. The run then ends ``error`` (the client
writes its end) and ``run --restart RUN --needed`` runs it again.

Stopping: on SIGINT/SIGTERM (``interrupt``) the runs not yet started on a
worker are cancelled and the others get a stop marker, which the worker
side acts on; all end ``terminated``. An op's ``resources:`` and
``--gpus`` become the task's Dask resources.
"""

from __future__ import annotations

import signal
import threading
import uuid
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import EXIT_SIGNAL_BASE, ExecutorError, GuildlikeError, Interrupted, RunFailed
from ..guildfile.opdef import OpDef
from ..store import liveness
from ..store.run import Run
from ..util.hosts import host_name
from . import codeid, process
from .execute import execute
from .lifecycle import finish
from .options import RunOptions
from .resources import task_resources

EXTRA_HINT = "pip install 'guildlike[dask]'"
# What a run lost with its worker ends with: an error, like a process that died.
LOST_EXIT_STATUS = 1


def distributed_module(name: str) -> Any:
    """``distributed``, or an ``ExecutorError`` naming the extra when it is missing."""
    try:
        import distributed  # lazy: optional extra (guildlike[dask])
    except ImportError:
        raise ExecutorError(name, f"Dask is not installed: {EXTRA_HINT}") from None
    return distributed


class DaskExecutor:
    """Sends each run's process to the Dask scheduler at ``address`` (``tcp://HOST:PORT``),
    or to ``cluster``'s (a Dask cluster object this executor made, such as a SLURM one)."""

    def __init__(self, name: str, address: str, cluster: Any = None) -> None:
        self.name = name
        self.address = address
        self.cluster = cluster
        self._client: Any = None
        self._lock = threading.RLock()
        self._running: dict[str, tuple[Any, Run]] = {}  # run id -> (future, run)
        self._stopping: int | None = None  # the signal that stops every run
        self._warned: set[str] = set()
        self.client()  # a missing extra or an unreachable scheduler is said before any run is made

    def client(self) -> Any:
        """The one client of this executor, connected on first use (trials share it)."""
        with self._lock:
            if self._client is None:
                distributed = distributed_module(self.name)
                target = self.cluster if self.cluster is not None else self.address
                try:
                    self._client = distributed.Client(target, timeout="10s", set_as_default=False)
                except (OSError, TimeoutError) as e:
                    raise ExecutorError(self.name, f"cannot reach the scheduler ({e})") from None
            return self._client

    def execute(self, ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        liveness.clear(run.path)  # an earlier attempt's stop request is not this one's
        resources = task_resources(opdef, opts)
        self._check_resources(ctx, resources)
        # The project's code identity (git), found once here rather than by each trial on its worker.
        known = {"codeid": codeid.cached_identity(ctx, opdef.project_dir), "project": opdef.project_dir}
        with self._lock:
            if self._stopping is not None:
                self._end_unstarted(run, self._stopping)
            future = self.client().submit(
                run_on_worker, str(ctx.home), str(ctx.cwd), ctx.env, run.id, str(run.path), opdef, opts, known,
                key=f"guildlike-{run.id}-{uuid.uuid4().hex[:8]}", pure=False, retries=0,
                resources=resources or None,
            )
            self._running[run.id] = (future, run)
        try:
            code, message = self._wait(ctx, future, run)
        finally:
            with self._lock:
                self._running.pop(run.id, None)
        _show_output(ctx, run)
        if message:
            raise GuildlikeError(message, exit_code=code)
        if code:
            raise RunFailed(code)

    def _wait(self, ctx: Context, future: Any, run: Run) -> tuple[int, str]:
        """The task's result; a signal meanwhile (main thread) stops the run and waits for its end."""
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        interrupted: int | None = None
        while not done.is_set():
            try:
                with process.interrupt_on_signals():
                    # While the task waits for a worker, its PENDING stays fresh for other hosts.
                    while not done.wait(liveness.beat_interval()):
                        liveness.keep_pending(run.path)
            except Interrupted as e:
                interrupted = interrupted or e.signum
                self.interrupt(e.signum)
        try:
            result: tuple[int, str] = future.result()
        except GuildlikeError:
            raise
        except Exception as e:  # cancelled before it started, the worker died, the scheduler went away
            if self._stopping is not None and future.cancelled():
                self._end_unstarted(run, self._stopping)
            _record_lost(run)
            ctx.ui.warning(f"run {run.id} was lost on the cluster ({type(e).__name__}): it ended as an error")
            raise RunFailed(LOST_EXIT_STATUS) from None
        if interrupted is not None:
            raise RunFailed(EXIT_SIGNAL_BASE + interrupted)
        return result

    def interrupt(self, signum: int) -> None:
        """Stop every run of this executor: cancel those not started on a worker, ask the others to stop."""
        with self._lock:
            self._stopping = self._stopping or signum
            running = list(self._running.values())
        for future, run in running:
            liveness.request_stop(run.path, liveness.DEFAULT_STOP_GRACE_S)
            run.invalidate()
            if run.get("exit_status") is None and liveness.last_beat(run.path) is None:
                future.cancel()  # not started: the worker side would see the marker anyway

    def _end_unstarted(self, run: Run, signum: int) -> None:
        """A run stopped before its process started: terminated, and never run."""
        fresh = Run(run.id, run.path)
        if fresh.get("exit_status") is None:
            finish(fresh, -signum)
        raise RunFailed(EXIT_SIGNAL_BASE + signum)

    def _check_resources(self, ctx: Context, resources: dict[str, float]) -> None:
        """Warn (once) when no worker has the resources a run needs: it waits for one that has."""
        if not resources:
            return
        key = repr(sorted(resources.items()))
        if key in self._warned:
            return
        self._warned.add(key)
        workers = self.client().scheduler_info().get("workers", {}).values()
        if not any(all(w.get("resources", {}).get(k, 0) >= v for k, v in resources.items()) for w in workers):
            wanted = ", ".join(f"{k}={v:g}" for k, v in sorted(resources.items()))
            ctx.ui.warning(f"no worker of {self.name} has {wanted} yet: runs needing it wait for one")


def run_on_worker(
    home: str, cwd: str, env: dict[str, str], run_id: str, path: str, opdef: OpDef, opts: RunOptions,
    known: dict[str, Any],
) -> tuple[int, str]:
    """The task: run the op's process here; (exit code, error message or "")."""
    workdir = Path(cwd) if Path(cwd).is_dir() else Path(path)
    ctx = Context(home=Path(home), cwd=workdir, env=dict(env))
    codeid.remember_identity(ctx, str(known["project"]), known["codeid"])
    run = Run(run_id, Path(path))
    if liveness.stop_requested(run.path):  # stopped while it waited for a worker
        finish(run, -signal.SIGTERM)
        return EXIT_SIGNAL_BASE + signal.SIGTERM, ""
    run.set("host", host_name())
    try:
        execute(ctx, run, opdef, opts)
    except RunFailed as e:
        return e.exit_code, ""
    except GuildlikeError as e:
        return e.exit_code, e.message
    return 0, ""


def _record_lost(run: Run) -> None:
    """Write the end of a run whose worker is gone (its process went with it)."""
    fresh = Run(run.id, run.path)
    if fresh.get("exit_status") is None:
        finish(fresh, LOST_EXIT_STATUS)


def _show_output(ctx: Context, run: Run) -> None:
    """The run's recorded output, shown once the run has ended."""
    try:
        data = (run.guild_dir / "output").read_bytes()
    except OSError:
        return
    if data:
        ctx.ui.stream(data, False)
