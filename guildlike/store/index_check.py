"""``guildlike check`` of the run index: rows that differ from their run folders."""

from __future__ import annotations

import sqlite3

from ..context import Context
from .index import index_path, open_index, refresh
from .index_rows import COLUMNS, is_corrupt, read_row, remove_db


def check(ctx: Context, repair: bool) -> list[str]:
    """Differences between the index and the run directories, after a normal refresh.

    A normal refresh catches every change made by renaming files; what is
    left (an attribute edited in place) is reported, and fixed by reading
    every run again when ``repair`` is true.
    """
    try:
        return _check(ctx, repair)
    except sqlite3.Error as e:
        if not is_corrupt(e):
            return [f"index cannot be read: {e}"]
        if not repair:
            return [f"index is damaged ({e})"]
        remove_db(index_path(ctx))
        conn = open_index(ctx)
        if conn is not None:
            try:
                refresh(ctx, conn, full=True)
            finally:
                conn.close()
        return [f"index was damaged ({e}) and is rebuilt from the run folders"]


def _check(ctx: Context, repair: bool) -> list[str]:
    problems: list[str] = []
    conn = open_index(ctx)
    if conn is None:
        return ["index cannot be opened or written (read-only home?)"]
    try:
        refresh(ctx, conn, force_scan=True)
        rows = {r[0]: r for r in conn.execute(f"SELECT {','.join(COLUMNS)} FROM runs")}
        # The scalars table is its own key's tree (WITHOUT ROWID): a full read finds its damage.
        conn.execute("SELECT count(*), sum(count), sum(total) FROM scalars").fetchone()
        for name in sorted(rows):
            fresh = read_row(name, ctx.runs_dir / name, rows[name][1])
            if fresh is None:
                problems.append(f"index lists run {name} that has no directory")
            elif tuple(fresh[2:]) != tuple(rows[name][2:]):
                problems.append(f"index entry of run {name} is out of date")
        if repair and problems:
            refresh(ctx, conn, full=True)
    finally:
        conn.close()
    return problems
