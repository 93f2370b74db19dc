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
