"""The run index: a SQLite cache of the run list, derived from the run directories.

The directories are the source of truth; the index is refreshed on every
listing, incrementally:

- runs whose attributes guildlike changed are named in the home's journal
  (``store/journal.py``) and read again;
- when the ``runs`` folder changed (runs made, deleted, restored, imported,
  by any tool) its entries are compared with the index;
- a full scan stats every run's ``.guild/attrs`` folder and reads again
  each run whose folder changed: attribute writes are atomic renames, so
  this sees writes by any tool (Guild, a script). It runs when the last full
  scan is older than ``GUILDLIKE_INDEX_SCAN_SECONDS`` (default 30; 0 scans on
  every listing) and whenever the journal cannot be trusted. ``guildlike
  check`` also finds attribute files edited in place (``store/index_check.py``).

The index is safe under concurrent writers (WAL, immediate transactions)
and rebuilt from scratch when missing or corrupt. When it cannot be written
(a read-only home) listing falls back to reading the directories.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..context import Context
from . import journal
from .filters import RunFilter
from .index_query import RunList, query_ids
from .index_rows import (
    COLUMNS,
    SCALAR_COLUMNS,
    SCHEMA_VERSION,
    connect,
    is_corrupt,
    read_run,
    remove_db,
)
from .run import Run
from .scan import scan_runs

__all__ = ["SCHEMA_VERSION", "open_index", "refresh", "list_runs", "is_corrupt", "REFRESHED"]

_RECENT_NS = 200_000_000
_RECHECK = -1  # sig of a row to read again at the next listing
DEFAULT_SCAN_SECONDS = 30.0
DEFAULT_SCAN_BELOW = 20_000
# ctx.cache key: when (time.monotonic) a listing last brought the index up to date
REFRESHED = "index.refreshed"


def index_path(ctx: Context) -> Path:
    return ctx.home / "index.sqlite"


def open_index(ctx: Context) -> sqlite3.Connection | None:
    """A connection to the index, rebuilding it when corrupt; None when unusable."""
    path = index_path(ctx)
    if not ctx.home.exists() or not os.access(ctx.home, os.W_OK):
        return None
    for attempt in range(2):
        try:
            conn = connect(path)
            conn.execute("SELECT count(*) FROM runs LIMIT 1").fetchone()
            return conn
        except sqlite3.OperationalError:
            # Locked, a full disk, a read-only file: not corrupt, so not removed
            # (other processes may be using it). Listing reads the directories.
            return None
        except sqlite3.DatabaseError:
            if attempt:
                return None
            remove_db(path)
        except OSError:
            return None
    return None


def _run_names(runs_dir: Path) -> list[str]:
    try:
        return [n for n in os.listdir(runs_dir) if not n.startswith(".") and not n.endswith(".tmp")]
    except FileNotFoundError:
        return []


def _sig(run_dir: str) -> int:
    """The mtime of the run's attrs folder: it changes with every attribute write."""
    try:
        return os.stat(run_dir + "/.guild/attrs").st_mtime_ns
    except FileNotFoundError:
        try:
            return -os.stat(run_dir).st_mtime_ns
        except OSError:
            return 0
    except OSError:
        return 0


def _meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def _env_number(ctx: Context, name: str, default: float) -> float:
    try:
        return float(ctx.env.get(name, default))
    except ValueError:
        return default


def _scan_due(ctx: Context, conn: sqlite3.Connection, meta: dict[str, Any], now: float) -> bool:
    every = _env_number(ctx, "GUILDLIKE_INDEX_SCAN_SECONDS", DEFAULT_SCAN_SECONDS)
    if now - float(meta.get("last_scan") or 0) >= every:
        return True
    count: int = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    return count < _env_number(ctx, "GUILDLIKE_INDEX_SCAN_BELOW", DEFAULT_SCAN_BELOW)


def _mtime_ns(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def refresh(
    ctx: Context, conn: sqlite3.Connection, full: bool = False, force_scan: bool = False
) -> tuple[int, int]:
    """Bring the index up to date; returns (runs re-read, runs dropped).

    ``force_scan`` checks every run folder; ``full`` also reads every run again.
    """
    runs_dir = ctx.runs_dir
    meta = _meta(conn)
    ids, offset, inode, complete = journal.read_since(
        ctx.home, int(meta.get("journal_offset") or 0), int(meta.get("journal_inode") or 0)
    )
    runs_mtime = _mtime_ns(runs_dir)
    now = time.time()
    scan = full or force_scan or not complete or _scan_due(ctx, conn, meta, now)
    if scan:
        changed, removed = _scan_changes(conn, runs_dir, full)
    else:
        changed, removed = _journal_changes(conn, runs_dir, ids, runs_mtime != int(meta.get("runs_mtime") or 0))
    updates: dict[str, Any] = {"journal_offset": offset, "journal_inode": inode, "runs_mtime": runs_mtime}
    if scan:
        updates["last_scan"] = now
    if not changed and not removed and all(meta.get(k) == v for k, v in updates.items() if k != "last_scan") \
            and not (scan and full):
        if scan:
            _write_meta(conn, {"last_scan": now})
        return 0, 0
    rows, gone, scalars = _read_rows(runs_dir, changed, removed)
    _store(conn, rows, gone, updates, scalars)
    if journal.rotate_if_large(ctx.home, offset):
        _write_meta(conn, {"journal_offset": 0, "journal_inode": 0})
    return len(rows), len(gone)


def _scan_changes(conn: sqlite3.Connection, runs_dir: Path, full: bool) -> tuple[dict[str, int], set[str]]:
    """Every run folder's signature against the index: (changed id -> sig, ids gone)."""
    base = str(runs_dir) + "/"
    names = _run_names(runs_dir)
    known = dict(conn.execute("SELECT id, sig FROM runs").fetchall())
    get = known.get
    changed: dict[str, int] = {}
    for name in names:
        sig = _sig(base + name)
        if full or get(name) != sig:
            changed[name] = sig
    return changed, set(known) - set(names)


def _journal_changes(
    conn: sqlite3.Connection, runs_dir: Path, ids: set[str], runs_moved: bool
) -> tuple[dict[str, int], set[str]]:
    """The runs the journal names, those added or removed since the runs folder
    last changed, and those marked to read again: (changed id -> sig, ids gone)."""
    base = str(runs_dir) + "/"
    removed: set[str] = set()
    if runs_moved:
        present = set(_run_names(runs_dir))
        known_ids = {r[0] for r in conn.execute("SELECT id FROM runs")}
        ids |= present - known_ids
        removed = known_ids - present
    ids |= {r[0] for r in conn.execute("SELECT id FROM runs WHERE sig = ?", (_RECHECK,))}
    changed = {rid: _sig(base + rid) for rid in ids if rid and not rid.startswith(".") and "/" not in rid}
    return changed, removed


def _read_rows(
    runs_dir: Path, changed: dict[str, int], removed: set[str]
) -> tuple[list[Any], list[str], list[Any]]:
    rows = []
    scalars: list[Any] = []
    gone = list(removed)
    # File times tick coarsely (a few ms): a folder changed just now may
    # change again with the same mtime, so its row is read again next time.
    recent = time.time_ns() - _RECENT_NS
    for name, sig in changed.items():
        found = read_run(name, runs_dir / name, sig if abs(sig) < recent else _RECHECK)
        if found is None:
            gone.append(name)
        else:
            rows.append(found[0])
            scalars += found[1]
    return rows, gone, scalars


def _store(
    conn: sqlite3.Connection, rows: list[Any], gone: list[str], updates: dict[str, Any], scalars: list[Any]
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        placeholders = ",".join("?" * len(COLUMNS))
        conn.executemany(f"INSERT OR REPLACE INTO runs ({','.join(COLUMNS)}) VALUES ({placeholders})", rows)
        conn.executemany("DELETE FROM runs WHERE id = ?", [(g,) for g in gone])
        conn.executemany("DELETE FROM scalars WHERE run_id = ?", [(r[0],) for r in rows] + [(g,) for g in gone])
        conn.executemany(f"INSERT OR REPLACE INTO scalars VALUES ({','.join('?' * len(SCALAR_COLUMNS))})", scalars)
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(updates.items()))
        conn.execute("COMMIT")
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the error that got here says more
        raise


def _write_meta(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items()))
        conn.execute("COMMIT")
    except sqlite3.OperationalError:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass


def list_runs(ctx: Context, flt: RunFilter, deleted: bool) -> Sequence[Run]:
    if deleted:
        return scan_runs(ctx, flt, deleted)
    for _attempt in range(2):
        conn = open_index(ctx)
        if conn is None:
            break
        try:
            refresh(ctx, conn)
            ctx.cache[REFRESHED] = time.monotonic()
            return RunList(conn, ctx.runs_dir, query_ids(conn, flt, ctx.runs_dir), flt)
        except sqlite3.Error as e:
            conn.close()
            if not is_corrupt(e):
                break  # locked, a full disk: read the folders this time
            remove_db(index_path(ctx))  # a cache: rebuilt from the run folders
    return scan_runs(ctx, flt, deleted)
