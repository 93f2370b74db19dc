"""Running an operation: from an op spec and flag arguments to a finished run."""

from __future__ import annotations

import getpass
import json
import os
import platform
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..context import Context
from ..errors import GuildlikeError, RunFailed, RunStoreError
from ..guildfile import flags as flagsmod
from ..guildfile import load as gfload
from ..guildfile import sourcecode
from ..guildfile.opdef import OpDef
from ..store import labels, opref, rows, status, store
from ..store.filters import RunFilter
from ..store.run import Run
from ..util import timeutil
from ..util.files import atomic_write
from ..util.secrets import scrub
from . import attempts, opcmd, process, scalars
from .options import RunOptions


def flags_cache_dir(ctx: Context) -> Path:
    return ctx.home / "cache" / "flags"


def resolve_opdef(ctx: Context, opspec: str, project_dir: Path | None = None) -> OpDef:
    return gfload.resolve(opspec, project_dir or ctx.cwd, flags_cache_dir(ctx))


def decode_flag_args(args: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` arguments as ``ArgText``: decoded once the flag's type is known."""
    return {name: flagsmod.ArgText(raw) for name, raw in flagsmod.split_assigns(args).items()}


def preview(ctx: Context, opspec: str, flag_args: list[str], opts: RunOptions) -> tuple[OpDef, dict[str, Any]]:
    """The op and the flag values a run would get, checked as ``run_op`` checks them."""
    opdef = resolve_opdef(ctx, opspec)
    flags = flagsmod.resolve(opdef, decode_flag_args(flag_args), force_flags=opts.force_flags)
    if opdef.is_pipeline:
        from . import steps

        steps.validate(ctx, opdef, flags)
    return opdef, flags


def run_op(ctx: Context, opspec: str, flag_args: list[str], opts: RunOptions) -> Run | None:
    """Run ``opspec`` with ``flag_args`` (``NAME=VALUE``); None when skipped."""
    opdef = resolve_opdef(ctx, opspec)
    given = decode_flag_args(flag_args)
    return run_opdef(ctx, opdef, given, opts)


def run_opdef(ctx: Context, opdef: OpDef, given: dict[str, Any], opts: RunOptions) -> Run | None:
    flags = flagsmod.resolve(opdef, given, force_flags=opts.force_flags)
    if _is_batch(flags, opts):
        from . import batch

        return batch.run_batch(ctx, opdef, flags, opts)
    if opts.needed:
        matches = matching_runs(ctx, opdef, flags)
        if matches:
            ctx.ui.message("Skipping because the following runs match this operation (--needed specified):")
            for line in rows.short_rows(matches, ctx.cwd):
                ctx.ui.message(f"  {line}")
            return None
    if opdef.is_pipeline:
        from . import steps

        steps.validate(ctx, opdef, flags)
    run = prepare_run(ctx, opdef, flags, opts)
    if opts.stage:
        _mark_staged(run)
        ctx.ui.message(f"{opdef.full_name} staged as {run.id}")
        ctx.ui.message(f"To start the operation, use 'guildlike run --start {run.id}'")
        return run
    start_run(ctx, run, opdef, opts)
    return run


def _is_batch(flags: dict[str, Any], opts: RunOptions) -> bool:
    return (
        any(flagsmod.is_batch_value(v) for v in flags.values())
        or bool(opts.batch_files)
        or bool(opts.optimizer)
    )


def matching_runs(ctx: Context, opdef: OpDef, flags: dict[str, Any]) -> list[Run]:
    flt = RunFilter(ops=[opdef.full_name], statuses={status.COMPLETED, status.TERMINATED})
    out = []
    for run in store.list_runs(ctx, flt):
        if run.op_name == opdef.full_name and run.flags == flags:
            out.append(run)
    return out


def _platform() -> dict[str, Any]:
    # platform.architecture() runs `file` on the interpreter: too slow per run.
    import struct

    return {
        "architecture": f"{struct.calcsize('P') * 8}bit {platform.machine()}",
        "cpus": os.cpu_count(),
        "python_version": platform.python_version(),
        "uname": " ".join(platform.uname()),
    }


def _opref_for(opdef: OpDef) -> opref.OpRef:
    if opdef.batch is not None:
        return opref.OpRef("batch", opdef.project_dir, "", opdef.model, opdef.name)
    if opdef.guildfile:
        return opref.OpRef("guildfile", opdef.guildfile, "", opdef.model, opdef.name)
    return opref.OpRef("script", opdef.project_dir, "", "", opdef.name)


def initial_label(opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> str:
    if opdef.batch is not None and opts.label is None:
        return ""
    template = opts.label if opts.label is not None else opdef.label
    shown = {k: v for k, v in flags.items() if not flagsmod.is_batch_value(v)}
    return labels.run_label(shown, template, opts.tags if opts.label is None else ())


def prepare_run(
    ctx: Context, opdef: OpDef, flags: dict[str, Any], opts: RunOptions, snapshot: bool = True
) -> Run:
    """Create the run directory, its attributes and its source snapshot.

    The run is made in a hidden folder (``runs/.ID.prepare``, never listed)
    and renamed into place when complete, so a crash while preparing leaves
    no half-made run behind (``guildlike check`` removes the folder).
    """
    run = store.init_run_dir(ctx, opts.run_id or store.new_run_id(), staging=True)
    try:
        status.write_pending(run.path, os.getpid())
        run.set("id", run.id)
        run.set("initialized", timeutil.now_us())
        run.set("op", opdef.to_data())
        run.set("flags", _storable_flags(flags))
        run.set("label", initial_label(opdef, flags, opts))
        if opts.label is not None:
            run.set("label_template", opts.label)
        if opts.tags:
            run.set("tags", list(opts.tags))
        run.set("run_params", opts.run_params())
        run.set("host", socket.gethostname())
        run.set("user", getpass.getuser())
        run.set("platform", _platform())
        if opts.parent_id:
            run.set("parent", opts.parent_id)
        opref.write(run.path, _opref_for(opdef))
        if opdef.is_pipeline:
            run.set("sourcecode_digest", "")
        elif snapshot:
            snapshot_source(ctx, run, opdef)
        run = store.publish_run_dir(ctx, run)
    except BaseException:
        # Never leave a half-made run behind.
        from ..util.files import remove_tree

        remove_tree(run.path)
        raise
    return run


def _storable_flags(flags: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, flagsmod.SearchSpace) else v) for k, v in flags.items()}


def snapshot_source(ctx: Context, run: Run, opdef: OpDef) -> None:
    """Copy the project's source into the run directory, with a digest of it."""
    project = Path(opdef.project_dir or ctx.cwd)
    spec = opdef.sourcecode
    files = sourcecode.select_files(project, spec, exclude_dirs=[ctx.home])
    if opdef.script and opdef.script not in files and (project / opdef.script).is_file():
        files.append(opdef.script)
    sourcecode.copy_files(project, spec, files, run.path)
    hashes = sourcecode.file_hashes(run.path, files)
    atomic_write(run.guild_dir / "source.json", json.dumps(hashes, indent=1, sort_keys=True))
    run.set("sourcecode", files)
    run.set("sourcecode_digest", sourcecode.digest(run.path, files, hashes))


def _mark_staged(run: Run) -> None:
    atomic_write(run.guild_dir / "STAGED", "")
    _remove_marker(run, "PENDING")


def _remove_marker(run: Run, name: str) -> None:
    try:
        os.unlink(run.guild_dir / name)
    except FileNotFoundError:
        pass


def mark_started(run: Run, opts: RunOptions | None = None, ctx: Context | None = None) -> None:
    """Drop the previous attempt's end state, stamp a new start, open an attempt."""
    status.write_lock(run.path, os.getpid())  # running from now on, never a gap
    run.delete_attr("exit_status")
    run.delete_attr("stopped")
    run.set("started", timeutil.now_us())
    _remove_marker(run, "STAGED")
    _remove_marker(run, "PENDING")
    attempts.begin(ctx, run, opts.trigger if opts else "run")


def finish(run: Run, exit_status: int, hash_data: bool = False) -> None:
    """Write the end state; for an op run, hash what it produced.

    ``exit_status`` is written last: a run shows completed (and may be
    deleted or restarted) only once everything about its end is written.
    """
    run.set("stopped", timeutil.now_us())
    digest = None
    if hash_data:
        try:
            digest = attempts.record_data(run)
        except OSError:
            digest = None
    attempts.end(run, exit_status, digest)
    run.set("exit_status", exit_status)
    status.remove_lock(run.path)


INTERRUPTED_CODES = (130, 143)  # exit codes of guildlike stopped by SIGINT / SIGTERM


@contextmanager
def recording_end(run: Run) -> Iterator[None]:
    """Write the end state of a run whose work (steps, trials) runs inside,
    whatever stops it: a failing child (its exit status), an error (its exit
    code), or SIGINT/SIGTERM, also between children (terminated)."""
    try:
        with process.interrupt_on_signals():
            yield
    except process.Interrupted as e:
        finish(run, -e.signum)
        raise RunFailed(128 + e.signum, "") from None
    except RunFailed as e:
        code = e.exit_code
        finish(run, -(code - 128) if code in INTERRUPTED_CODES else code)
        raise
    except GuildlikeError as e:
        finish(run, e.exit_code)
        raise
    except BaseException:
        finish(run, 1)
        raise


def start_run(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    """Run ``run`` to its end; raises ``RunFailed`` when it does not complete."""
    if opdef.is_pipeline:
        from . import steps

        steps.run_pipeline(ctx, run, opdef, opts)
        return
    execute(ctx, run, opdef, opts)


def execute(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    flags = run.flags
    if opdef.requires:
        from . import requires

        requires.resolve(ctx, run, opdef, opts)
    cmd, env = opcmd.build(ctx, run, opdef, flags)
    run.set("cmd", cmd)
    run.set("env", scrub(env))
    _archive_output(run)
    mark_started(run, opts, ctx)
    try:
        code = process.run_process(
            ctx,
            cmd,
            env,
            run.path,
            run.guild_dir / "output",
            on_start=lambda pid: status.write_lock(run.path, pid),
            whole_lines=opts.max_parallel > 1,
        )
    except process.Interrupted as e:
        _capture_scalars(run, opdef)
        finish(run, -e.signum, hash_data=True)
        raise RunFailed(128 + e.signum, "") from None
    except BaseException:
        finish(run, 1, hash_data=True)
        raise
    _capture_scalars(run, opdef)
    finish(run, code, hash_data=True)
    if code != 0:
        raise RunFailed(code if code > 0 else 128 - code)


def _capture_scalars(run: Run, opdef: OpDef) -> None:
    try:
        scalars.capture(run.path, opdef.output_scalars)
    except RunStoreError:
        raise
    except Exception:
        pass


def _archive_output(run: Run) -> None:
    """Keep a previous attempt's output as ``output.N`` before a restart."""
    out = run.guild_dir / "output"
    if not out.exists():
        return
    n = 1
    while (run.guild_dir / f"output.{n}").exists():
        n += 1
    os.replace(out, run.guild_dir / f"output.{n}")
