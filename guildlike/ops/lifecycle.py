"""A run's life on disk: made, staged, started, finished.

Every kind of run (an op, a pipeline, a batch, a trial, a step) goes through
these functions, so a run's record is written the same way whoever runs it.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import shutil
import signal
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import EXIT_SIGNAL_BASE, GuildlikeError, Interrupted, RunFailed
from ..guildfile import flags as flagsmod
from ..guildfile import sourcecode
from ..guildfile.opdef import OpDef
from ..store import attrs, labels, liveness, opref, series, status, store
from ..store.run import Run
from ..util import timeutil
from ..util.files import atomic_write, remove_tree
from ..util.hosts import host_name
from . import attempts, guildop, process, scalars
from .heartbeat import Heartbeat
from .options import RunOptions

INTERRUPTED_CODES = (130, 143)  # exit codes of guildlike stopped by SIGINT / SIGTERM


def _platform() -> dict[str, Any]:
    # platform.architecture() runs `file` on the interpreter: too slow per run.
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


def storable_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """Flags as a run stores them: a search space as its text (``[0.1:1.0]``)."""
    return {k: (str(v) if isinstance(v, flagsmod.SearchSpace) else v) for k, v in flags.items()}


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
        _write_attrs(run, opdef, flags, opts)
        opref.write(run.path, _opref_for(opdef))
        if opdef.is_pipeline:
            run.set("sourcecode_digest", "")
        elif snapshot and opts.proto:
            copy_source(Run(Path(opts.proto).name, opts.proto), run)
        elif snapshot:
            snapshot_source(ctx, run, opdef)
        run = store.publish_run_dir(ctx, run)
    except BaseException:
        remove_tree(run.path)  # never leave a half-made run behind
        raise
    return run


def _write_attrs(run: Run, opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> None:
    run.set("id", run.id)
    run.set("initialized", timeutil.now_us())
    record_op(run, opdef)
    run.set("flags", storable_flags(flags))
    run.set("label", initial_label(opdef, flags, opts))
    if opts.label is not None:
        run.set("label_template", opts.label)
    if opts.tags:
        run.set("tags", list(opts.tags))
    run.set("run_params", opts.run_params())
    run.set("host", host_name())
    run.set("user", getpass.getuser())
    run.set("platform", _platform())
    if opts.parent_id:
        run.set("parent", opts.parent_id)
    if opts.user_flags:
        run.set("user_flags", opts.user_flags)


def record_op(run: Run, opdef: OpDef) -> None:
    """The operation, as guildlike replays it and as Guild would (to restart it there)."""
    run.set("op", opdef.to_data())
    config = guildop.op_config(opdef)
    if config is not None:
        run.set(attrs.GUILD_OP, config)
    if opdef.is_pipeline:
        run.set("steps", opdef.steps)


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


def copy_source(src: Run, dest: Run) -> None:
    """Give ``dest`` the source snapshot of ``src`` (a batch's, for each trial)."""
    # Only paths inside the run count (the list may come from a run made elsewhere).
    files = [f for f in src.get("sourcecode") or [] if isinstance(f, str) and _inside(f)]
    for rel in files:
        if (src.path / rel).is_file():
            target = dest.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src.path / rel, target)
    dest.set("sourcecode", files)
    dest.set("sourcecode_digest", src.get("sourcecode_digest") or "")


def _inside(rel: str) -> bool:
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def mark_staged(run: Run) -> None:
    atomic_write(run.guild_dir / "STAGED", "")
    _remove_marker(run, "PENDING")


def mark_unresolved(run: Run) -> None:
    """A run whose requires could not be resolved never started: it is an
    error with no start time (a restart's earlier end state reads as failed)."""
    _remove_marker(run, "PENDING")
    if run.get("exit_status") is not None:
        run.set("exit_status", 1)


def _remove_marker(run: Run, name: str) -> None:
    try:
        os.unlink(run.guild_dir / name)
    except FileNotFoundError:
        pass


def mark_started(ctx: Context, run: Run, opts: RunOptions) -> None:
    """Drop the previous attempt's end state, stamp a new start, open an attempt."""
    status.write_lock(run.path, os.getpid())  # running from now on, never a gap
    run.delete_attr("exit_status")
    run.delete_attr("stopped")
    run.set("started", timeutil.now_us())
    _remove_marker(run, "STAGED")
    _remove_marker(run, "PENDING")
    attempts.begin(ctx, run, opts.trigger)


def finish(run: Run, exit_status: int, hash_data: bool = False) -> None:
    """Write the end state; for an op run, hash what it produced.

    ``exit_status`` is written last: a run shows completed (and may be
    deleted or restarted) only once everything about its end is written.
    """
    run.set("stopped", timeutil.now_us())
    if run.is_pipeline():
        _pipeline_scalars(run)
    digest = None
    if hash_data:
        try:
            digest = attempts.record_data(run)
        except OSError:
            digest = None
    attempts.end(run, exit_status, digest)
    run.set("exit_status", exit_status)
    status.remove_lock(run.path)
    liveness.clear(run.path)


def _pipeline_scalars(run: Run) -> None:
    """A pipeline's scalars: those in its output (which holds its steps'), and its steps'."""
    try:
        series.series_path(run.path).unlink(missing_ok=True)
        scalars.capture(None, run.path, None)
    except Exception:  # scalars never stop the end being recorded
        pass


@contextmanager
def recording_end(run: Run) -> Iterator[None]:
    """Write the end state of a run whose work (steps, trials) runs inside,
    whatever stops it: a failing child (its exit status), an error (its exit
    code), or SIGINT/SIGTERM, also between children (terminated)."""
    def on_stop(sig: int) -> bool:  # a stop asked for from another machine: as SIGTERM here
        if sig == signal.SIGTERM:
            os.kill(os.getpid(), signal.SIGTERM)
        return True

    liveness.clear(run.path)  # an earlier attempt's stop request is not this one's
    try:
        with process.interrupt_on_signals(), Heartbeat(run.path, on_stop):
            yield
    except Interrupted as e:
        finish(run, -e.signum)
        raise RunFailed(EXIT_SIGNAL_BASE + e.signum, "") from None
    except RunFailed as e:
        code = e.exit_code
        finish(run, -(code - EXIT_SIGNAL_BASE) if code in INTERRUPTED_CODES else code)
        raise
    except GuildlikeError as e:
        finish(run, e.exit_code)
        raise
    except BaseException:
        finish(run, 1)
        raise


def archive_output(run: Run) -> None:
    """Keep a previous attempt's output as ``output.N`` (and its scalar series as
    ``series.tsv.N``) before a restart."""
    out = run.guild_dir / "output"
    if not out.exists():
        return
    n = 1
    while (run.guild_dir / f"output.{n}").exists():
        n += 1
    os.replace(out, run.guild_dir / f"output.{n}")
    if series.has_series(run.path):
        os.replace(series.series_path(run.path), run.guild_dir / f"{series.SERIES_NAME}.{n}")
