"""Where runs live: creating, listing, deleting, restoring and purging them.

Listing goes through ``list_runs`` only, so that an index can serve it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from ..context import Context
from ..errors import RunBusy, RunStoreError
from ..util.files import ensure_dir, remove_tree
from . import runids, status
from .filters import RunFilter
from .run import Run
from .scan import STAGING_SUFFIX


def new_run_id() -> str:
    return uuid.uuid4().hex


def run_for_id(ctx: Context, run_id: str, deleted: bool = False) -> Run:
    base = ctx.trash_dir if deleted else ctx.runs_dir
    return Run(run_id, base / run_id)


def staging_path(ctx: Context, run_id: str) -> Path:
    """Where a run is made before it is complete: hidden, so never listed."""
    return ctx.runs_dir / f".{run_id}{STAGING_SUFFIX}"


def init_run_dir(ctx: Context, run_id: str, staging: bool = False) -> Run:
    """Create a new run directory with its ``.guild/attrs`` folder.

    With ``staging`` the folder is made at ``staging_path`` and
    ``publish_run_dir`` moves it into place once complete.
    """
    runids.check(run_id)  # never a path: '/abs', '../x', '.hidden' or 'x.tmp'
    ensure_dir(ctx.runs_dir)
    run = run_for_id(ctx, run_id)
    if staging:
        if os.path.lexists(run.path):
            raise RunStoreError(f"a run with id {run_id} already exists")
        run = Run(run_id, staging_path(ctx, run_id))
    try:
        run.path.mkdir()
    except FileExistsError:
        raise RunStoreError(f"a run with id {run_id} already exists") from None
    except OSError as e:
        raise RunStoreError(f"cannot create run directory {run.path}: {(e.strerror or str(e)).lower()}") from e
    ensure_dir(run.path / ".guild" / "attrs")
    return run


def publish_run_dir(ctx: Context, run: Run) -> Run:
    """Move a run made with ``init_run_dir(staging=True)`` to its place in ``runs``."""
    final = ctx.runs_dir / run.id
    if run.path == final:
        return run
    if os.path.lexists(final):
        raise RunStoreError(f"a run with id {run.id} already exists")
    try:
        os.rename(run.path, final)
    except OSError as e:
        raise RunStoreError(f"cannot create run directory {final}: {(e.strerror or str(e)).lower()}") from e
    published = Run(run.id, final)
    published._cache.update(run._cache)
    return published


def list_runs(ctx: Context, flt: RunFilter | None = None, deleted: bool = False) -> Sequence[Run]:
    """Runs newest first (by started, else initialized), filtered by ``flt``."""
    from . import index  # lazy: start-up speed; a run that lists nothing needs no SQLite

    return index.list_runs(ctx, flt or RunFilter(), deleted)


def _move(src: Path, dest_dir: Path) -> None:
    ensure_dir(dest_dir)
    dest = dest_dir / src.name
    if os.path.lexists(dest):
        where = "deleted runs" if dest_dir.name == "runs" and dest_dir.parent.name == "trash" else "runs"
        raise RunStoreError(
            f"cannot move run {src.name}: the {where} already hold a run with that id",
            ["Purge or rename one of them first; nothing was changed."],
        )
    try:
        os.replace(src, dest)
    except OSError as e:
        raise RunStoreError(f"cannot move {src} to {dest_dir}: {e.strerror}") from e


def _busy(run: Run) -> bool:
    """Running, or being prepared or restarted by a live process."""
    for name in ("LOCK", "PENDING"):
        lock = status.read_lock(run.path, name)
        if lock is not None and lock[0] > 0 and status.lock_pid_alive(lock):
            return True
    return False


def delete_runs(ctx: Context, runs: list[Run]) -> int:
    """Move ``runs`` to the trash; a run in use (see ``_busy``, or claimed by a
    restart) is refused, and nothing is moved when one is."""
    for run in runs:
        if _busy(run):
            raise RunBusy(run.id, "delete")
    for run in runs:
        with status.claim(run.path) as mine:
            if not mine or _busy(run):
                raise RunBusy(run.id, "delete")
            _move(run.path, ctx.trash_dir)
    return len(runs)


def restore_runs(ctx: Context, runs: list[Run]) -> int:
    """Move deleted ``runs`` back; nothing is moved when one's id is taken by a run."""
    for run in runs:
        if os.path.lexists(ctx.runs_dir / run.id):
            # Restoring over it would destroy the run that now has this id.
            raise RunStoreError(
                f"cannot restore run {run.id}: a run with that id exists",
                ["Delete or purge that run first."],
            )
    for run in runs:
        _move(run.path, ctx.runs_dir)
    return len(runs)


def purge_runs(ctx: Context, runs: list[Run]) -> int:
    for run in runs:
        remove_tree(run.path)
    return len(runs)
