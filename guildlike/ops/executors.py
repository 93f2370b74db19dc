"""Executors: where a prepared op run's process runs.

Every run that starts a process (a single op, a batch's trial, a pipeline's
step, a staged run) is prepared on disk first and then handed to an
executor. ``LocalExecutor``, which runs the process here and waits for it,
is the default; an executor for other machines implements the same
protocol, so batches, pipelines and restarts need not know where runs go.
"""

from __future__ import annotations

from typing import Protocol

from ..context import Context
from ..errors import UsageError
from ..guildfile.opdef import OpDef
from ..store import liveness
from ..store.run import Run
from . import process
from .execute import execute
from .executor_config import cluster_workers, executor_setting, jobqueue_cluster
from .options import RunOptions


class Executor(Protocol):
    def execute(self, ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        """Run ``run`` (prepared, not a pipeline or batch) to its end.

        Blocks until the run ends; raises ``RunFailed`` when it does not
        complete, with the run's end state already written. Called from
        several threads at once for trials that run side by side.
        """

    def interrupt(self, signum: int) -> None:
        """guildlike got ``signum`` while runs of this executor run side by side
        (the threads waiting for them do not see it): stop them all, and start
        no more. Each run's ``execute`` then ends with ``RunFailed``."""


class LocalExecutor:
    """Runs each process on this machine, as a child of this process."""

    def execute(self, ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        liveness.clear(run.path)  # an earlier attempt's stop request is not this one's
        execute(ctx, run, opdef, opts)

    def interrupt(self, signum: int) -> None:
        process.signal_child_groups(signum)


def make_executor(ctx: Context, given: str | None = None) -> Executor:
    """The executor ``--executor`` (``given``), the environment or the home's config names:
    ``local`` (the default), ``dask://HOST:PORT``, or a dask-jobqueue cluster's settings."""
    setting = executor_setting(ctx, given)
    if isinstance(setting, dict):
        from . import dask_executor  # lazy: optional extra (guildlike[dask])

        workers = cluster_workers(setting)
        cluster = jobqueue_cluster(setting)
        cluster.scale(workers)
        return dask_executor.DaskExecutor(f"{setting['type']} cluster", cluster.scheduler_address, cluster)
    if not setting or setting == "local":
        return LocalExecutor()
    if setting.startswith("dask://"):
        address = setting[len("dask://") :]
        host, _, port = address.rpartition(":")
        if host and port.isdigit():
            from .dask_executor import DaskExecutor  # lazy: optional extra (guildlike[dask])

            return DaskExecutor(setting, f"tcp://{address}")
    raise UsageError(f"invalid executor {setting!r}: use local or dask://HOST:PORT")
