"""The run index: the one place listing is served from.

This first version reads the run directories on every call; the SQLite index
replaces the body of ``list_runs`` without changing its callers.
"""

from __future__ import annotations

from ..context import Context
from .filters import RunFilter
from .run import Run


def list_runs(ctx: Context, flt: RunFilter, deleted: bool) -> list[Run]:
    from .store import scan_runs

    return scan_runs(ctx, flt, deleted)


def touch(ctx: Context) -> None:
    """Note that run directories changed (moved, removed)."""
