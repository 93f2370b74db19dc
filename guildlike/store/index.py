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
  check`` also finds attribute files edited in place.

The index is safe under concurrent writers (WAL, immediate transactions)
and rebuilt from scratch when missing or corrupt. When it cannot be written
(a read-only home) listing falls back to reading the directories.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import RunStoreError
from . import attrs as attrs_mod
from . import journal, run_scalars
from . import opref as opref_mod
from . import status as status_mod
from .filters import RunFilter, op_matches
from .notes import comments_text
from .run import Run
from .scan import scan_runs

SCHEMA_VERSION = 6  # 4: marks, comments; 5: damaged flags; 6: scalar summaries
_RECENT_NS = 200_000_000
_RECHECK = -1  # sig of a row to read again at the next listing
DEFAULT_SCAN_SECONDS = 30.0
DEFAULT_SCAN_BELOW = 20_000
_COLUMNS = (
    "id", "sig", "pkg_type", "pkg_path", "model", "op", "op_name", "started", "initialized",
    "sort_time", "exit_status", "label", "tags", "damaged", "marked", "comments",
)
_EXIT_STATUS = _COLUMNS.index("exit_status")


def index_path(ctx: Context) -> Path:
    return ctx.home / "index.sqlite"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP TABLE IF EXISTS runs")
        conn.execute(
            "CREATE TABLE runs (id TEXT PRIMARY KEY, sig INTEGER, pkg_type TEXT, pkg_path TEXT, "
            "model TEXT, op TEXT, op_name TEXT, started INTEGER, initialized INTEGER, "
            "sort_time INTEGER, exit_status INTEGER, label TEXT, tags TEXT, damaged TEXT, "
            "marked INTEGER, comments TEXT)"
        )
        conn.execute("CREATE INDEX runs_sort ON runs (sort_time DESC, id DESC)")
        conn.execute("CREATE INDEX runs_op ON runs (op_name)")
        conn.execute("CREATE INDEX runs_sig ON runs (sig)")
        conn.execute("DROP TABLE IF EXISTS scalars")
        conn.execute(
            "CREATE TABLE scalars (run_id TEXT, key TEXT, first REAL, last REAL, min REAL, max REAL, "
            "avg REAL, count INTEGER, step INTEGER, PRIMARY KEY (run_id, key))"
        )
        conn.execute("DROP TABLE IF EXISTS meta")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    return conn


def open_index(ctx: Context) -> sqlite3.Connection | None:
    """A connection to the index, rebuilding it when corrupt; None when unusable."""
    path = index_path(ctx)
    if not ctx.home.exists() or not os.access(ctx.home, os.W_OK):
        return None
    for attempt in range(2):
        try:
            conn = _connect(path)
            conn.execute("SELECT count(*) FROM runs LIMIT 1").fetchone()
            return conn
        except sqlite3.OperationalError:
            # Locked, a full disk, a read-only file: not corrupt, so not removed
            # (other processes may be using it). Listing reads the directories.
            return None
        except sqlite3.DatabaseError:
            if attempt:
                return None
            _remove_db(path)
        except OSError:
            return None
    return None


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(str(path) + suffix)
        except FileNotFoundError:
            pass


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


def read_row(run_id: str, run_dir: Path, sig: int) -> tuple[Any, ...] | None:
    """The index row for a run directory, read from its files."""
    if not run_dir.is_dir() or os.path.islink(run_dir):
        return None
    ref = opref_mod.read(run_dir)
    damaged = ""
    vals: dict[str, Any] = {}
    for name in ("started", "initialized", "exit_status", "label", "tags", "marked", "comments", "flags"):
        try:
            vals[name] = attrs_mod.read(run_dir, name)
        except RunStoreError as e:
            damaged = e.message
            vals[name] = None
    if ref is None:
        damaged = damaged or ("missing .guild directory" if not (run_dir / ".guild").is_dir() else "missing opref")
    elif not damaged and not attrs_mod.attrs_dir(run_dir).is_dir():
        damaged = "missing .guild/attrs folder"
    started = vals["started"] if isinstance(vals["started"], int) else None
    init = vals["initialized"] if isinstance(vals["initialized"], int) else None
    exit_status = vals["exit_status"] if isinstance(vals["exit_status"], int) else None
    tags = vals["tags"] if isinstance(vals["tags"], list) else []
    label = vals["label"] if vals["label"] is not None else ""
    comments = vals["comments"] if isinstance(vals["comments"], list) else []
    return (
        run_id,
        sig,
        ref.pkg_type if ref else "",
        ref.pkg_path if ref else "",
        ref.model if ref else "",
        ref.op if ref else "",
        ref.op_name if ref else "",
        started,
        init,
        started or init or 0,
        exit_status,
        _sql_text(str(label)),
        json.dumps([str(t) for t in tags]),
        _sql_text(damaged),
        1 if vals["marked"] is True else 0,
        _sql_text(comments_text(comments).lower()),
    )


def _sql_text(text: str) -> str:
    """SQLite stores UTF-8: a lone surrogate (from a JSON escape) is kept as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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


def scalar_rows(run_id: str, run_dir: Path, exit_status: Any) -> list[tuple[Any, ...]]:
    """A finished run's scalar summaries as rows of the ``scalars`` table (NaN is
    stored as NULL); none for a live run, whose summaries are read from its folder."""
    if exit_status is None:
        return []
    summaries = run_scalars.load(None, run_dir, finished=True)
    return [
        (run_id, _sql_text(k), s.first, s.last, s.min, s.max, s.avg, s.count, s.step)
        for k, s in summaries.items()
    ]


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
        row = read_row(name, runs_dir / name, sig if abs(sig) < recent else _RECHECK)
        if row is None:
            gone.append(name)
        else:
            rows.append(row)
            scalars += scalar_rows(name, runs_dir / name, row[_EXIT_STATUS])
    return rows, gone, scalars


def _store(
    conn: sqlite3.Connection, rows: list[Any], gone: list[str], updates: dict[str, Any], scalars: list[Any]
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        placeholders = ",".join("?" * len(_COLUMNS))
        conn.executemany(f"INSERT OR REPLACE INTO runs ({','.join(_COLUMNS)}) VALUES ({placeholders})", rows)
        conn.executemany("DELETE FROM runs WHERE id = ?", [(g,) for g in gone])
        conn.executemany("DELETE FROM scalars WHERE run_id = ?", [(r[0],) for r in rows] + [(g,) for g in gone])
        conn.executemany("INSERT OR REPLACE INTO scalars VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", scalars)
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


def _status_sql(flt: RunFilter) -> tuple[str, list[Any]]:
    """A SQL condition that keeps every row that may match the status filter.

    Rows without an exit status are always kept: their status depends on
    live markers (LOCK, STAGED, PENDING) and is checked in Python.
    """
    if not (flt.statuses or flt.not_statuses):
        return "", []
    wanted = set(flt.statuses) if flt.statuses else set(status_mod.ALL)
    wanted -= flt.not_statuses
    terminated = sorted(status_mod.TERMINATED_EXIT_CODES)
    t_in = ",".join(str(c) for c in terminated)
    conds = ["exit_status IS NULL"]
    if status_mod.COMPLETED in wanted:
        conds.append("exit_status = 0")
    if status_mod.TERMINATED in wanted:
        conds.append(f"exit_status IN ({t_in})")
    if status_mod.ERROR in wanted:
        conds.append(f"(exit_status != 0 AND exit_status NOT IN ({t_in}))")
    return "(" + " OR ".join(conds) + ")", []


def _query(conn: sqlite3.Connection, flt: RunFilter, columns: str) -> Iterable[tuple[Any, ...]]:
    where: list[str] = []
    params: list[Any] = []
    if flt.ops:
        names = [r[0] for r in conn.execute("SELECT DISTINCT op_name FROM runs")]
        keep = [n for n in names if any(op_matches(p, n) for p in flt.ops)]
        if not keep:
            return []
        where.append(f"op_name IN ({','.join('?' * len(keep))})")
        params += keep
    for text in flt.labels:
        where.append("instr(label, ?) > 0")
        params.append(text)
    if flt.unlabeled:
        where.append("label = ''")
    if flt.marked:
        where.append("marked = 1")
    if flt.unmarked:
        where.append("marked = 0")
    for text in flt.comments:
        where.append("instr(comments, ?) > 0")
        params.append(text.lower())
    for tag in flt.tags:
        where.append("instr(tags, ?) > 0")
        params.append(json.dumps(tag))
    if flt.started is not None:
        # Start times compare in whole seconds: for a whole second s,
        # s >= lo is s >= ceil(lo), and s < hi is s < ceil(hi).
        if flt.started.lo is not None:
            where.append("sort_time >= ?")
            params.append(math.ceil(flt.started.lo) * 1_000_000)
        if flt.started.hi is not None:
            where.append("sort_time < ?")
            params.append(math.ceil(flt.started.hi) * 1_000_000)
    cond, cparams = _status_sql(flt)
    if cond:
        where.append(cond)
        params += cparams
    sql = f"SELECT {columns} FROM runs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY sort_time DESC, id DESC"
    return conn.execute(sql, params)


def _run_from_row(runs_dir: Path, row: tuple[Any, ...]) -> Run:
    (rid, _sig, pkg_type, pkg_path, model, op, _op_name, started, init, _st, exit_status, label, tags, damaged,
     marked, _comments) = row
    run = Run(rid, f"{runs_dir}/{rid}")
    run._cache.update(
        {
            "started": started,
            "initialized": init,
            "exit_status": exit_status,
            "label": label,
            "tags": json.loads(tags) if tags else [],
            "marked": True if marked else None,
        }
    )
    run._opref = opref_mod.OpRef(pkg_type, pkg_path, "", model, op) if pkg_type or op else None
    if damaged:
        run.damaged = damaged
    return run


class RunList(Sequence[Run]):
    """Runs newest first, read from the index a page at a time.

    Holding only ids keeps a listing of 100,000 runs small and fast: the
    full rows are read for the runs that are looked at (the first 20, a
    selected one).
    """

    PAGE = 500

    def __init__(self, conn: sqlite3.Connection, runs_dir: Path, ids: list[str]) -> None:
        self._conn = conn
        self._runs_dir = runs_dir
        self.ids = ids
        self._runs: dict[int, Run] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def _load(self, indexes: list[int]) -> None:
        missing = [i for i in indexes if i not in self._runs]
        for start in range(0, len(missing), self.PAGE):
            chunk = missing[start : start + self.PAGE]
            by_id = {self.ids[i]: i for i in chunk}
            sql = f"SELECT {','.join(_COLUMNS)} FROM runs WHERE id IN ({','.join('?' * len(by_id))})"
            try:
                for row in self._conn.execute(sql, list(by_id)):
                    self._runs[by_id[row[0]]] = _run_from_row(self._runs_dir, row)
            except (sqlite3.Error, ValueError, TypeError, KeyError) as e:
                # A damaged index: these runs are read from their folders, and
                # the next listing rebuilds it.
                if is_corrupt(e):
                    _remove_db(Path(self._runs_dir).parent / "index.sqlite")
            for i in chunk:  # a row removed meanwhile: read the directory itself
                if i not in self._runs:
                    self._runs[i] = Run(self.ids[i], self._runs_dir / self.ids[i])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            idx = list(range(len(self.ids)))[i]
            self._load(idx)
            return [self._runs[j] for j in idx]
        if i < 0:
            i += len(self.ids)
        if not 0 <= i < len(self.ids):
            raise IndexError(i)
        self._load([i])
        return self._runs[i]

    def __iter__(self) -> Iterator[Run]:
        for start in range(0, len(self.ids), self.PAGE):
            yield from self[start : start + self.PAGE]


def _query_ids(conn: sqlite3.Connection, flt: RunFilter, runs_dir: Path) -> list[str]:
    rows = _query(conn, flt, "id, exit_status IS NULL")
    post = bool(flt.statuses or flt.not_statuses)
    if not post:
        return [r[0] for r in rows]
    ids = []
    for rid, live in rows:
        if live:
            st = Run(rid, runs_dir / rid).status
            if flt.statuses and st not in flt.statuses:
                continue
            if st in flt.not_statuses:
                continue
        ids.append(rid)
    return ids


def list_runs(ctx: Context, flt: RunFilter, deleted: bool) -> Sequence[Run]:
    if deleted:
        return scan_runs(ctx, flt, deleted)
    for _attempt in range(2):
        conn = open_index(ctx)
        if conn is None:
            break
        try:
            refresh(ctx, conn)
            return RunList(conn, ctx.runs_dir, _query_ids(conn, flt, ctx.runs_dir))
        except sqlite3.Error as e:
            conn.close()
            if not is_corrupt(e):
                break  # locked, a full disk: read the folders this time
            _remove_db(index_path(ctx))  # a cache: rebuilt from the run folders
    return scan_runs(ctx, flt, deleted)


def is_corrupt(e: BaseException) -> bool:
    """True for an error that says the index file is damaged (not merely busy)."""
    return isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError) \
        or isinstance(e, (ValueError, TypeError, KeyError))


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
        _remove_db(index_path(ctx))
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
        rows = {r[0]: r for r in conn.execute(f"SELECT {','.join(_COLUMNS)} FROM runs")}
        conn.execute("SELECT count(*), sum(count) FROM scalars INDEXED BY sqlite_autoindex_scalars_1").fetchone()
        conn.execute("SELECT sum(count) FROM scalars NOT INDEXED").fetchone()  # damage there is damage too
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
