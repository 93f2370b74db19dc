"""The Dask executor: each op run's process runs on a worker of a Dask cluster.

The home is on a filesystem that the CLI and every worker share at the same
path. The client submits one task per run; on the worker the task calls
``execute.execute`` with a context built from the home, so the run's record
(status, attempts, exit status, output, hashes) is written as a local run's
is, with the worker's host. The client waits for the task and raises
``RunFailed`` as the local executor does.

No hidden retries: a task is submitted with ``retries=0``, and a scheduler
started with ``distributed.scheduler.allowed-failures: 0`` does not run a
task again when its worker dies. The run then ends ``error`` (the client
writes its end) and ``run --restart RUN --needed`` runs it again.
"""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import ExecutorError, GuildlikeError, RunFailed
from ..guildfile.opdef import OpDef
from ..store.run import Run
from .execute import execute
from .lifecycle import finish
from .options import RunOptions

EXTRA_HINT = "pip install 'guildlike[dask]'"
# What a run lost with its worker ends with: an error, like a process that died.
LOST_EXIT_STATUS = 1


def _distributed(name: str) -> Any:
    try:
        import distributed  # lazy: optional extra (guildlike[dask])
    except ImportError:
        raise ExecutorError(name, f"Dask is not installed: {EXTRA_HINT}") from None
    return distributed


class DaskExecutor:
    """Sends each run's process to the Dask scheduler at ``address`` (HOST:PORT)."""

    def __init__(self, address: str) -> None:
        self.name = f"dask://{address}"
        self.address = f"tcp://{address}"
        self._client: Any = None
        self._lock = threading.Lock()
        self.client()  # a missing extra or an unreachable scheduler is said before any run is made

    def client(self) -> Any:
        """The one client of this executor, connected on first use (trials share it)."""
        with self._lock:
            if self._client is None:
                distributed = _distributed(self.name)
                try:
                    self._client = distributed.Client(self.address, timeout="10s", set_as_default=False)
                except (OSError, TimeoutError) as e:
                    raise ExecutorError(self.name, f"cannot reach the scheduler ({e})") from None
            return self._client

    def execute(self, ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        future = self.client().submit(
            run_on_worker,
            str(ctx.home),
            str(ctx.cwd),
            ctx.env,
            run.id,
            str(run.path),
            opdef,
            opts,
            key=f"guildlike-{run.id}-{uuid.uuid4().hex[:8]}",
            pure=False,
            retries=0,
        )
        try:
            code, message = future.result()
        except GuildlikeError:
            raise
        except Exception as e:  # the worker died (KilledWorker), the scheduler went away
            _record_lost(run)
            ctx.ui.warning(f"run {run.id} was lost on the cluster ({type(e).__name__}): it ended as an error")
            raise RunFailed(LOST_EXIT_STATUS) from None
        except BaseException:
            future.cancel()
            raise
        _show_output(ctx, run)
        if message:
            raise GuildlikeError(message, exit_code=code)
        if code:
            raise RunFailed(code)


def run_on_worker(
    home: str, cwd: str, env: dict[str, str], run_id: str, path: str, opdef: OpDef, opts: RunOptions
) -> tuple[int, str]:
    """The task: run the op's process here; (exit code, error message or "")."""
    workdir = Path(cwd) if Path(cwd).is_dir() else Path(path)
    ctx = Context(home=Path(home), cwd=workdir, env=dict(env))
    run = Run(run_id, Path(path))
    run.set("host", socket.gethostname())
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
