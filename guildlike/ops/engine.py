"""The engine: runs, restarts and starts operations of every kind.

It is the one place that knows which code runs what: a batch's trials
(``batch``), a pipeline's steps (``pipeline``), an op's process (the
executor). Pipeline and batch code gets the engine as a ``Runner`` to run
their children, so the recursion (a step or a trial is a run) goes through
this seam and no module imports its caller.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..context import UI, Context
from ..errors import GuildlikeError, RunBusy, UsageError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import status
from ..store.run import Run
from . import cmdlines, needed, requires, restart, stepdefs
from .executors import Executor, LocalExecutor
from .lifecycle import mark_staged, prepare_run
from .opdefs import decode_flag_args, recorded_opdef, resolve_opdef, restart_flags
from .options import RunOptions

if TYPE_CHECKING:
    from .background import Request
    from .plan import PlanRow


def is_batch(flags: dict[str, Any], opts: RunOptions) -> bool:
    """True when the flags or options ask for trials rather than one run."""
    return any(flagsmod.is_batch_value(v) for v in flags.values()) or bool(opts.batch_files or opts.optimizer)


class Engine:
    """Runs operations for one command, in ``ctx``'s home, with ``executor``'s processes."""

    def __init__(self, ctx: Context, executor: Executor | None = None) -> None:
        self._ctx = ctx
        self.executor: Executor = executor or LocalExecutor()

    @property
    def ctx(self) -> Context:
        return self._ctx

    def with_ui(self, ui: UI) -> Engine:
        return Engine(dataclasses.replace(self._ctx, ui=ui), self.executor)

    # ------------------------------------------------------------ any request

    def perform(self, request: Request) -> Run | None:
        """Do what a background ``request`` asks, as the ``run`` command would."""
        opts = request.options()
        if request.action == "restart":
            return self.restart_spec(request.run_id, request.flag_args, opts)
        if request.action == "start":
            return self.start_staged(request.run_id, opts)
        if not request.opspec:
            raise GuildlikeError("missing operation")
        opts.run_id = request.run_id
        return self.run_op(request.opspec, request.flag_args, opts)

    # ------------------------------------------------------------ new runs

    def preview(self, opspec: str, flag_args: list[str], opts: RunOptions) -> tuple[OpDef, dict[str, Any]]:
        """The op and the flag values a run would get, checked as ``run_op`` checks them."""
        opdef = resolve_opdef(self.ctx, opspec)
        flags = flagsmod.resolve(opdef, decode_flag_args(flag_args), force_flags=opts.force_flags)
        if opdef.is_pipeline:
            stepdefs.validate(self.ctx, opdef, flags)
        return opdef, flags

    def command_lines(self, opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> list[str]:
        """What ``run --print-cmd`` prints for ``opdef`` with ``flags`` (from ``preview``)."""
        if is_batch(flags, opts):
            raise UsageError("--print-cmd cannot be used with a batch", ["--print-trials shows its trials."])
        return cmdlines.command_lines(opdef, flags)

    def preview_proto(
        self, spec: str, flag_args: list[str], opts: RunOptions
    ) -> tuple[Run, OpDef, dict[str, Any]]:
        """The run ``--proto`` names, its operation, and its flags with ``flag_args`` applied."""
        proto = restart.find_proto(self.ctx, spec)
        opdef = recorded_opdef(proto)
        flags = restart_flags(opdef, proto, decode_flag_args(flag_args), opts.force_flags)
        return proto, opdef, flags

    def run_proto(self, proto: Run, opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> Run | None:
        """A new run of ``proto``'s operation with ``flags``, on a copy of its source."""
        return self.run_opdef(opdef, flags, replace(opts, proto=str(proto.path)))

    def run_op(self, opspec: str, flag_args: list[str], opts: RunOptions) -> Run | None:
        """Run ``opspec`` with ``flag_args`` (``NAME=VALUE``); None when skipped."""
        return self.run_opdef(resolve_opdef(self.ctx, opspec), decode_flag_args(flag_args), opts)

    def run_opdef(self, opdef: OpDef, given: dict[str, Any], opts: RunOptions) -> Run | None:
        flags = flagsmod.resolve(opdef, given, force_flags=opts.force_flags)
        if is_batch(flags, opts):
            from . import batch  # lazy: start-up speed; a single run needs no batch code

            return batch.run_batch(self, opdef, flags, opts)
        if opts.needed:
            matches = needed.matching_runs(self.ctx, opdef, flags)
            if matches:
                self.ctx.ui.message("Skipping because the following runs match this operation (--needed specified):")
                self.ctx.ui.runs(matches)
                return None
        if opdef.is_pipeline:
            stepdefs.validate(self.ctx, opdef, flags)
        if given:
            opts = replace(opts, user_flags=flagsmod.user_flags(opdef, given, flags))
        run = prepare_run(self.ctx, opdef, flags, opts)
        if opts.stage:
            requires.skip_staged(self.ctx, opdef)
            mark_staged(run)
            self.ctx.ui.message(f"{opdef.full_name} staged as {run.id}")
            self.ctx.ui.message(f"To start the operation, use 'guildlike run --start {run.id}'")
            return run
        self.start(run, opdef, opts)
        return run

    # ------------------------------------------------------------ prepared runs

    def start(self, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        """Run a prepared ``run`` to its end; ``RunFailed`` when it does not complete."""
        if opdef.batch is not None:  # a staged batch
            from . import batch  # lazy: start-up speed; a single run needs no batch code

            batch.start_batch(self, run, opdef, opts)
        elif opdef.is_pipeline:
            from . import pipeline  # lazy: start-up speed; a single op needs no pipeline code

            pipeline.run_pipeline(self, run, opdef, opts)
        else:
            self.execute(run, opdef, opts)

    def execute(self, run: Run, opdef: OpDef, opts: RunOptions) -> None:
        self.executor.execute(self.ctx, run, opdef, opts)

    def interrupt(self, signum: int) -> None:
        self.executor.interrupt(signum)

    def start_staged(self, spec: str, opts: RunOptions) -> Run:
        run = restart.find_run(self.ctx, spec)
        with status.claim(run.path) as mine:  # two starts at once: one goes on
            opdef = restart.check_staged(run, mine)
            self.start(run, opdef, opts)
        return run

    # ------------------------------------------------------------ restarts

    def restart(self, run: Run, given: dict[str, Any], opts: RunOptions) -> Run | None:
        """Restart ``run`` in place with ``given`` flags; None when --needed skips it."""
        with status.claim(run.path) as mine:
            if not mine:
                raise RunBusy(run.id, "restart", other_process=True)
            todo = restart.prepare(self.ctx, run, given, opts)
            if todo is None:
                return None
            if todo.opdef.batch is not None:
                from . import batch  # lazy: start-up speed; a single run needs no batch code

                batch.restart_batch(self, run, todo.opdef, todo.flags, todo.opts)
                return run
            restart.apply(self.ctx, run, todo)
            self.start(run, todo.opdef, todo.opts)
            return run

    def restart_spec(self, spec: str, flag_args: list[str], opts: RunOptions) -> Run | None:
        return self.restart(restart.find_run(self.ctx, spec), decode_flag_args(flag_args), opts)

    def plan(self, spec: str, flag_args: list[str], opts: RunOptions) -> tuple[Run, list[PlanRow]]:
        from . import plan  # lazy: start-up speed; only --plan needs it

        run = restart.find_run(self.ctx, spec)
        return run, plan.plan(self.ctx, run, decode_flag_args(flag_args), opts)
