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
from ..store.run import Run
from .execute import execute
from .options import RunOptions


class Executor(Protocol):
    def execute(self, ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        """Run ``run`` (prepared, not a pipeline or batch) to its end.

        Blocks until the run ends; raises ``RunFailed`` when it does not
        complete, with the run's end state already written. Called from
        several threads at once for trials that run side by side.
        """


class LocalExecutor:
    """Runs each process on this machine, as a child of this process."""

    def execute(self, ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        execute(ctx, run, opdef, opts)


def make_executor(spec: str | None) -> Executor:
    """The executor ``spec`` names: ``local`` (or nothing) or ``dask://HOST:PORT``."""
    if not spec or spec == "local":
        return LocalExecutor()
    if spec.startswith("dask://"):
        address = spec[len("dask://") :]
        host, _, port = address.rpartition(":")
        if host and port.isdigit():
            from .dask_executor import DaskExecutor  # lazy: optional extra (guildlike[dask])

            return DaskExecutor(address)
    raise UsageError(f"invalid executor {spec!r}: use local or dask://HOST:PORT")
