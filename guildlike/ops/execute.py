"""Executing a prepared op run: its process, its output and scalars, its end state."""

from __future__ import annotations

import os

from ..context import Context
from ..errors import EXIT_SIGNAL_BASE, GuildlikeError, Interrupted, RunFailed, RunStoreError
from ..guildfile import deps
from ..guildfile.opdef import OpDef
from ..store import status
from ..store.run import Run
from ..util.secrets import scrub
from . import opcmd, process, requires, scalars
from .heartbeat import Heartbeat
from .lifecycle import archive_output, finish, mark_started, mark_unresolved
from .options import RunOptions


def execute(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    """Run the op's process in ``run``'s folder to its end; ``RunFailed`` unless it completes."""
    try:
        requires.resolve(ctx, run, opdef, opts)  # without requires: deps is {}, as in Guild
    except GuildlikeError:
        mark_unresolved(run)
        raise
    cmd, env = opcmd.build(ctx, run, opdef, deps.script_flags(opdef, run.flags))
    if opts.gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = opts.gpus
    run.set("cmd", cmd)
    run.set("env", scrub(env))
    archive_output(run)
    mark_started(ctx, run, opts)
    tee = _series_tee(run, opdef)
    started: list[int] = []

    def on_start(pid: int) -> None:
        status.write_lock(run.path, pid)
        started.append(pid)

    def on_stop(sig: int) -> bool:  # a stop asked for from another machine
        for pid in started:
            process.signal_group(pid, sig)
        return bool(started)

    try:
        with Heartbeat(run.path, on_stop):
            code = process.run_process(
                ctx,
                cmd,
                env,
                run.path,
                run.guild_dir / "output",
                on_start=on_start,
                whole_lines=opts.max_parallel > 1,
                on_output=tee.feed if tee else None,
            )
    except Interrupted as e:
        _record_end(ctx, run, opdef, tee, -e.signum)
        raise RunFailed(EXIT_SIGNAL_BASE + e.signum, "") from None
    except BaseException:
        _record_end(ctx, run, None, tee, 1)
        raise
    _record_end(ctx, run, opdef, tee, code)
    if code != 0:
        raise RunFailed(code if code > 0 else EXIT_SIGNAL_BASE - code)


def _record_end(ctx: Context, run: Run, opdef: OpDef | None, tee: scalars.SeriesTee | None, code: int) -> None:
    """Write the run's end whole: a stop request that comes meanwhile (SIGTERM to
    the pipeline or batch running this op) is acted on once it is written."""
    try:
        with process.signals_deferred():
            _own(run)
            if opdef is not None:
                _capture_scalars(ctx, run, opdef, tee)
            else:
                _close(tee)
            finish(run, code, hash_data=True)
    except Interrupted as e:
        raise RunFailed(EXIT_SIGNAL_BASE + e.signum, "") from None


def _own(run: Run) -> None:
    """The op's process has ended: until its record is complete, the run is
    ours (running), never an ``error`` for want of a live process. A lock
    that cannot be written (a full disk) must not stop the end being recorded."""
    try:
        status.write_lock(run.path, os.getpid())
    except (OSError, GuildlikeError):
        pass


def _series_tee(run: Run, opdef: OpDef) -> scalars.SeriesTee | None:
    """What appends the output's scalars to the run's series while it runs
    (None when the patterns are invalid: the end reports that)."""
    try:
        return scalars.SeriesTee(run.path, opdef.output_scalars)
    except (GuildlikeError, OSError):
        return None


def _close(tee: scalars.SeriesTee | None) -> None:
    try:
        if tee is not None:
            tee.close()
    except (OSError, ValueError):
        pass


def _capture_scalars(ctx: Context, run: Run, opdef: OpDef, tee: scalars.SeriesTee | None) -> None:
    """The run's scalar summary; a pattern or event file that fails never fails the run."""
    _close(tee)
    try:
        scalars.capture(ctx, run.path, opdef.output_scalars, tee)
    except RunStoreError:
        raise
    except Exception:
        pass
