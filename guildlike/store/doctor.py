"""``check``: the index against the directories, and damaged runs.

What can be repaired is: the index (rebuilt from the directories), stale
``LOCK`` files of dead processes, and runs whose preparation was interrupted
(``runs/.ID.prepare`` folders of dead processes, never listed). A damaged
run (missing or corrupt attribute files, no ``.guild`` folder, step links
leaving the home or looping) is reported and left as it is: nothing is
changed that cannot be explained.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..context import Context
from ..errors import RunStoreError
from ..util.files import remove_tree
from . import attrs as attrs_mod
from . import index, index_check, opref, status
from .run import Run
from .scan import STAGING_SUFFIX, scan
from .settle import settle

# A preparation folder without a PENDING marker is left alone this long
# (its process may be about to write the marker).
_STAGING_GRACE_S = 60.0


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    unrepaired: int = 0


def run_problems(ctx: Context, run_dir: Path) -> list[str]:
    """Why the run at ``run_dir`` cannot be read in full; empty when it can."""
    problems: list[str] = []
    gdir = run_dir / ".guild"
    if not gdir.is_dir():
        return ["no .guild folder (not a run directory?)"]
    if not (gdir / "opref").is_file():
        problems.append("missing .guild/opref")
    if not attrs_mod.attrs_dir(run_dir).is_dir():
        problems.append("missing .guild/attrs folder")
    for name in attrs_mod.names(run_dir):
        try:
            attrs_mod.read(run_dir, name)
        except RunStoreError as e:
            problems.append(e.message)
        except OSError as e:
            problems.append(f"cannot read attribute {name}: {e.strerror or e}")
    problems += link_problems(ctx, run_dir)
    return problems


def _links_runs(run_dir: Path) -> bool:
    """True for a pipeline or a batch: its top-level links are links to runs."""
    try:
        op = attrs_mod.read(run_dir, "op")
    except RunStoreError:
        op = None
    if isinstance(op, dict) and (op.get("steps") or op.get("batch")):
        return True
    ref = opref.read(run_dir)
    return ref is not None and ref.pkg_type == "batch"


def link_problems(ctx: Context, run_dir: Path) -> list[str]:
    """Links in the run folder that loop, and step links that leave the home."""
    problems: list[str] = []
    home = os.path.realpath(ctx.home)
    step_links: bool | None = None
    try:
        entries = sorted(os.scandir(run_dir), key=lambda e: e.name)
    except OSError:
        return problems
    for entry in entries:
        if not entry.is_symlink():
            continue
        try:
            target = os.path.realpath(entry.path, strict=True)
        except OSError as e:
            if e.errno == errno.ELOOP or "loop" in str(e).lower():
                problems.append(f"link {entry.name} loops")
            continue  # a dangling link: a step not run yet, or a deleted run
        if not os.path.isdir(target):
            continue
        if step_links is None:
            step_links = _links_runs(run_dir)
        if step_links and not (target + os.sep).startswith(home + os.sep):
            problems.append(f"link {entry.name} points outside the home: {target}")
    return problems


def _remove_leftover(rep: Report, repair: bool, path: Path, prefix: str, what: str, why: str) -> None:
    """Report a folder a dead process left behind, and remove it when repairing."""
    if not repair:
        rep.lines.append(f"{prefix}{what} {path} ({why})")
        rep.unrepaired += 1
        return
    try:
        remove_tree(path)
    except RunStoreError as e:
        rep.lines.append(f"{prefix}cannot remove {what} {path}: {e.message}")
        rep.unrepaired += 1
        return
    rep.lines.append(f"repaired: {prefix}removed {what} {path} ({why})")


def _check_imports(ctx: Context, repair: bool, rep: Report) -> None:
    """Folders left in the home by an import whose process died (``.import-PID-*``)."""
    try:
        names = sorted(n for n in os.listdir(ctx.home) if n.startswith(".import-"))
    except OSError:
        return
    for name in names:
        path = ctx.home / name
        try:
            pid = int(name.split("-")[1])
        except (IndexError, ValueError):
            continue  # not ours: leave it
        if status.process_create_time(pid) is not None:
            continue  # that import is still going
        _remove_leftover(rep, repair, path, "", "unfinished import", f"its process {pid} died")


def _check_staging(ctx: Context, repair: bool, rep: Report) -> None:
    """Runs whose preparation was interrupted: hidden folders left by a dead process."""
    try:
        names = sorted(os.listdir(ctx.runs_dir))
    except OSError:
        return
    for name in names:
        if not (name.startswith(".") and name.endswith(STAGING_SUFFIX)):
            continue
        path = ctx.runs_dir / name
        run_id = name[1 : -len(STAGING_SUFFIX)]
        pending = status.read_lock(path, "PENDING")
        if pending is not None:
            if status.lock_pid_alive(pending):
                continue  # still being prepared
            why = f"its process {pending[0]} died"
        else:
            try:
                age = time.time() - path.lstat().st_mtime
            except OSError:
                continue
            if age < _STAGING_GRACE_S:
                continue
            why = "no process prepares it"
        _remove_leftover(rep, repair, path, f"run {run_id}: ", "unfinished preparation", why)


def _exit_status(run_dir: Path) -> object:
    try:
        return attrs_mod.read(run_dir, "exit_status")
    except RunStoreError:
        return None


def _rebuild_flags(rep: Report, run: Run, repair: bool) -> None:
    """A ``flags`` attribute that cannot be read is rebuilt from the last attempt's record."""
    try:
        attrs_mod.read(run.path, "flags")
        return
    except RunStoreError:
        pass
    except OSError:
        return
    try:
        attempts = attrs_mod.read(run.path, "attempts")
    except (RunStoreError, OSError):
        return
    last = attempts[-1] if isinstance(attempts, list) and attempts else None
    flags = last.get("flags") if isinstance(last, dict) else None
    if not isinstance(flags, dict):
        return
    if not repair:
        rep.lines.append(f"run {run.id}: its flags can be rebuilt from its attempts record ('guildlike check' does it)")
        return
    try:
        run.set("flags", flags)
    except (RunStoreError, OSError) as e:
        rep.lines.append(f"run {run.id}: cannot rebuild its flags: {getattr(e, 'message', None) or e}")
        rep.unrepaired += 1
        return
    rep.lines.append(f"repaired: run {run.id}: flags rebuilt from its attempts record")


def _check_attempts(rep: Report, run: Run, repair: bool) -> None:
    try:
        what = settle(run, repair)
    except (RunStoreError, OSError) as e:
        rep.lines.append(f"run {run.id}: cannot repair its attempts: {getattr(e, 'message', None) or e}")
        rep.unrepaired += 1
        return
    if what is None:
        return
    rep.lines.append(f"repaired: run {run.id}: {what}" if repair else f"run {run.id}: {what}")
    if not repair:
        rep.unrepaired += 1


def check(ctx: Context, repair: bool) -> Report:
    rep = Report()
    if ctx.home.is_dir():
        _check_imports(ctx, repair, rep)
    if not ctx.runs_dir.is_dir():
        if not rep.lines:
            rep.lines.append("No problems found.")
        return rep
    conn = index.open_index(ctx)
    if conn is None:
        rep.lines.append("index cannot be opened or written (read-only home?): runs are read from their folders")
        rep.unrepaired += 1
    else:
        conn.close()
        for line in index_check.check(ctx, repair):
            rep.lines.append(("repaired: " if repair else "") + line)
            if not repair:
                rep.unrepaired += 1
    _check_staging(ctx, repair, rep)
    for run in scan(ctx.runs_dir):
        _rebuild_flags(rep, run, repair)
        for problem in run_problems(ctx, run.path):
            rep.lines.append(f"run {run.id}: {problem}")
            rep.unrepaired += 1
        _check_attempts(rep, run, repair)
        lock = status.read_lock(run.path)
        if lock is not None and not status.lock_pid_alive(lock):
            # Beside an exit status a dead LOCK is a harmless leftover (the run
            # was moved while it ended, say): repaired, but not a problem.
            harmless = _exit_status(run.path) is not None
            if repair:
                try:
                    status.remove_lock(run.path)
                except OSError as e:
                    rep.lines.append(f"run {run.id}: cannot remove stale LOCK: {e.strerror or e}")
                    rep.unrepaired += 1
                    continue
                rep.lines.append(f"repaired: run {run.id}: removed stale LOCK of dead process {lock[0]}")
            elif not harmless:
                rep.lines.append(f"run {run.id}: stale LOCK of dead process {lock[0]}")
                rep.unrepaired += 1
    if not rep.lines:
        rep.lines.append("No problems found.")
    return rep
