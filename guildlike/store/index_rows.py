"""The run index's database file and its rows (see ``store/index.py``).

``runs`` holds one row per run: what listings filter and sort on, and what
``compare`` shows (flags, stop time), so neither opens a run folder. Flags
are kept as JSON when they read back the same (text, numbers, booleans,
lists and mappings with text keys); other flags (a date from a hand-edited
file, a value of the wrong type) are stored as NULL and read from the run's
file when wanted. ``scalars`` holds each finished run's scalar summaries;
the run's row also keeps their last values and steps as JSON
(``last_scalars``, ``{KEY: [LAST, STEP]}``), so a table of last values
reads one row per run.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import RunStoreError
from . import attrs as attrs_mod
from . import opref as opref_mod
from . import run_scalars
from .notes import comments_text
from .run import Run

# 4: marks, comments; 5: damaged flags; 6: scalar summaries; 7: flags, stopped, scalar totals;
# 8: last values and steps in the run row
SCHEMA_VERSION = 8
COLUMNS = (
    "id", "sig", "pkg_type", "pkg_path", "model", "op", "op_name", "started", "initialized",
    "sort_time", "exit_status", "label", "tags", "damaged", "marked", "comments", "stopped", "flags",
    "last_scalars",
)
# What a run read from the index needs (``run_from_row``), in this order.
RUN_COLUMNS = (
    "id", "pkg_type", "pkg_path", "model", "op", "started", "initialized", "exit_status", "label", "tags",
    "damaged", "marked", "stopped", "flags", "last_scalars",
)
RUN_SELECT = ",".join(RUN_COLUMNS)
SIG = COLUMNS.index("sig")
EXIT_STATUS = COLUMNS.index("exit_status")
SCALAR_COLUMNS = ("run_id", "key", "first", "last", "min", "max", "avg", "count", "step", "total")
_ATTRS = ("started", "initialized", "exit_status", "label", "tags", "marked", "comments", "flags", "stopped")


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the index file, its tables made (again) when their version differs."""
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
            "marked INTEGER, comments TEXT, stopped INTEGER, flags TEXT, last_scalars TEXT)"
        )
        conn.execute("CREATE INDEX runs_sort ON runs (sort_time DESC, id DESC)")
        conn.execute("CREATE INDEX runs_op ON runs (op_name)")
        conn.execute("CREATE INDEX runs_sig ON runs (sig)")
        conn.execute("DROP TABLE IF EXISTS scalars")
        conn.execute(
            "CREATE TABLE scalars (run_id TEXT, key TEXT, first REAL, last REAL, min REAL, max REAL, "
            "avg REAL, count INTEGER, step INTEGER, total REAL, PRIMARY KEY (run_id, key)) WITHOUT ROWID"
        )
        conn.execute("DROP TABLE IF EXISTS meta")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    return conn


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(str(path) + suffix)
        except FileNotFoundError:
            pass


def is_corrupt(e: BaseException) -> bool:
    """True for an error that says the index file is damaged (not merely busy)."""
    return isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError) \
        or isinstance(e, (ValueError, TypeError, KeyError))


def sql_text(text: str) -> str:
    """SQLite stores UTF-8: a lone surrogate (from a JSON escape) is kept as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _plain(value: Any) -> bool:
    """True when ``value`` reads back from JSON as it is (see the module doc)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return not isinstance(value, str) or value == sql_text(value)
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k == sql_text(k) and _plain(v) for k, v in value.items())
    return False


def flags_json(flags: Any) -> str | None:
    """The flags as stored in the index: JSON (``null`` when the run has none), or
    None when they must be read from the run's file."""
    if flags is not None and not isinstance(flags, dict) or not _plain(flags):
        return None
    return json.dumps(flags)


def _attrs(run_dir: Path) -> tuple[dict[str, Any], str, set[str]]:
    """The attributes a row holds, why the run is damaged ('' when it is not),
    and the attributes that could not be read."""
    damaged = ""
    vals: dict[str, Any] = {}
    failed: set[str] = set()
    for name in _ATTRS:
        try:
            vals[name] = attrs_mod.read(run_dir, name)
        except RunStoreError as e:
            damaged = e.message
            vals[name] = None
            failed.add(name)
    return vals, damaged, failed


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_row(run_id: str, run_dir: Path, sig: int) -> tuple[Any, ...] | None:
    """The index row for a run directory, read from its files."""
    found = read_run(run_id, run_dir, sig)
    return found[0] if found else None


def read_run(run_id: str, run_dir: Path, sig: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]] | None:
    """The index row for a run directory and its rows of the ``scalars`` table."""
    if not run_dir.is_dir() or os.path.islink(run_dir):
        return None
    ref = opref_mod.read(run_dir)
    vals, damaged, failed = _attrs(run_dir)
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
    scalars = scalar_rows(run_id, run_dir, exit_status)
    last = None if exit_status is None else json.dumps({r[1]: [r[3], r[8]] for r in scalars}, sort_keys=True)
    row = (
        run_id, sig,
        ref.pkg_type if ref else "", ref.pkg_path if ref else "", ref.model if ref else "",
        ref.op if ref else "", ref.op_name if ref else "",
        started, init, started or init or 0, exit_status,
        sql_text(str(label)),
        json.dumps([str(t) for t in tags]),
        sql_text(damaged),
        1 if vals["marked"] is True else 0,
        sql_text(comments_text(comments).lower()),
        _int(vals["stopped"]),
        None if "flags" in failed else flags_json(vals["flags"]),  # damaged flags: read (and fail) again
        last,
    )
    return row, scalars


def scalar_rows(run_id: str, run_dir: Path, exit_status: Any) -> list[tuple[Any, ...]]:
    """A finished run's scalar summaries as rows of the ``scalars`` table (NaN is
    stored as NULL); none for a live run, whose summaries are read from its folder."""
    if exit_status is None:
        return []
    summaries = run_scalars.load(None, run_dir, finished=True)
    return [
        (run_id, sql_text(k), s.first, s.last, s.min, s.max, s.avg, s.count, s.step, s.total)
        for k, s in summaries.items()
    ]


def index_json(text: str) -> Any:
    """A JSON text the index holds (written by ``json.dumps``: no surrounding
    space), read without ``json.loads``'s checks around the decoder: a third faster,
    which a listing of 10,000 runs notices."""
    return _DECODE(text)[0]


_DECODE = json.JSONDecoder().raw_decode


def run_from_row(runs_dir: Path, row: tuple[Any, ...], oprefs: dict[tuple[str, ...], Any] | None = None) -> Run:
    """A run whose attributes held by the index are read from ``row`` (``RUN_COLUMNS``),
    not its files. ``oprefs`` shares one (immutable) OpRef between the runs of an operation."""
    (rid, pkg_type, pkg_path, model, op, started, init, exit_status, label, tags, damaged, marked, stopped,
     flags, last) = row
    run = Run(rid, f"{runs_dir}/{rid}")
    values = {
        "started": started,
        "initialized": init,
        "exit_status": exit_status,
        "label": label,
        "tags": index_json(tags) if tags and tags != "[]" else [],
        "marked": True if marked else None,
    }
    if not damaged:  # else a damaged stop time is read (and reported) from its file
        values["stopped"] = stopped
    if flags is not None:
        values["flags"] = index_json(flags) if flags != "null" else None
    run.preload(values)
    if exit_status is not None and last:
        run.indexed_last = last
    key = (pkg_type, pkg_path, model, op)
    ref = oprefs.get(key) if oprefs is not None else None
    if ref is None:
        ref = opref_mod.OpRef(pkg_type, pkg_path, "", model, op) if pkg_type or op else None
        if oprefs is not None:
            oprefs[key] = ref
    run.preload_opref(ref)
    if damaged:
        run.damaged = damaged
    return run
