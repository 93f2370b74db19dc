"""Reading run folders straight from disk: the source of truth behind the index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..context import Context
from ..errors import RunStoreError
from .filters import RunFilter
from .run import Run

STAGING_SUFFIX = ".prepare"


def is_run_name(name: str) -> bool:
    """True for a folder name that can hold a listed run (not hidden, not a temp folder)."""
    return not (name.startswith(".") or name.endswith(".tmp"))


def scan(base: Path) -> Iterator[Run]:
    """Every run folder directly under ``base`` (links and hidden folders skipped)."""
    try:
        entries = os.scandir(base)
    except FileNotFoundError:
        return
    with entries:
        for e in entries:
            if not is_run_name(e.name):
                continue
            try:
                if not e.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            yield Run(e.name, Path(e.path))


def scan_runs(ctx: Context, flt: RunFilter, deleted: bool = False) -> list[Run]:
    """The run list made by reading every run directory (the index's fallback)."""
    return scan_folder(ctx.trash_dir if deleted else ctx.runs_dir, flt)


def scan_folder(base: Path, flt: RunFilter) -> list[Run]:
    """The runs of any folder of run folders (an archive's too), newest first."""
    runs = []
    for run in scan(base):
        try:
            if flt.matches(run):
                runs.append(run)
        except RunStoreError:
            # A damaged run is still listed when the filter is empty.
            if flt.is_empty():
                runs.append(run)
    runs.sort(key=sort_key, reverse=True)
    return runs


def sort_key(run: Run) -> tuple[int, str]:
    """Newest first when sorted in reverse; a damaged run sorts as oldest."""
    try:
        return (run.sort_time, run.id)
    except RunStoreError:
        return (0, run.id)
