"""The seam between operations that run other operations and the engine that runs them.

A pipeline's steps and a batch's trials are runs of their own, so pipeline,
batch and search code needs to run, restart and execute runs. Rather than
import the engine back (an import cycle), they are handed a ``Runner``.
``guildlike.ops.engine.Engine`` is the implementation.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..context import UI, Context
from ..guildfile.opdef import OpDef
from ..store.run import Run
from .options import RunOptions


class Runner(Protocol):
    @property
    def ctx(self) -> Context: ...

    def run_opdef(self, opdef: OpDef, given: dict[str, Any], opts: RunOptions) -> Run | None:
        """Run ``opdef`` with ``given`` flags (a single op, a pipeline or a batch);
        None when ``--needed`` skips it or nothing was run."""
        ...

    def restart(self, run: Run, given: dict[str, Any], opts: RunOptions) -> Run | None:
        """Restart ``run`` in place; None when ``--needed`` skips it."""
        ...

    def start(self, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        """Run a prepared run to its end: a pipeline's steps, or the op's process."""
        ...

    def with_ui(self, ui: UI) -> Runner:
        """The same runner, talking to ``ui`` (a pipeline records its steps' output)."""
        ...

    def execute(self, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        """Hand a prepared op run to the executor and wait for its end."""
        ...

    def interrupt(self, signum: int) -> None:
        """Stop the runs the executor runs side by side (see ``Executor.interrupt``)."""
        ...
