"""Scalar summaries of many runs at once, from the index.

``summaries(ctx, run_ids)`` is what listings and comparisons use: for each
run, ``{key: Summary}`` with ``first``, ``last``, ``min``, ``max``, ``avg``
and ``total`` (NaN ignored; NaN when every value is NaN), ``count`` and
``step`` (the step of the last value). Values are floats (``nan``, ``inf`` and ``-inf``
included: sort with ``math.isnan`` in mind); keys are strings and may hold
``/`` and ``#`` (a pipeline's step scalars are ``STEP/.guild#KEY``).

A finished run's summaries come from the index, never from its folder. A
live run's (no exit status yet) are computed from its series as it grows,
and so are those of runs the index does not hold (deleted runs, an index that
cannot be opened). A listing that brought the index up to date just before
(``index.REFRESHED``) spares the refresh.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ..context import Context
from ..errors import RunStoreError
from . import index, run_scalars
from .index_rows import index_json
from .series import Summary
from .store import run_for_id

_FRESH_S = 1.0  # a listing this recent left the index up to date


def _from_index(
    conn: sqlite3.Connection, ids: Sequence[str], last_only: bool
) -> tuple[dict[str, dict[str, Summary]], set[str]]:
    """Stored summaries of finished runs, and the ids the index holds as finished."""
    conn.execute("BEGIN")  # one transaction: the temporary table's inserts, and a snapshot of the index
    try:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute("DELETE FROM temp.wanted")
        conn.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)", [(i,) for i in ids])
        # CROSS JOIN: the wanted ids lead (SQLite keeps the order), each a key lookup, even at 100,000 runs
        if last_only:  # one row a run: its last values as JSON
            return _last_only(conn.execute(
                "SELECT runs.id, last_scalars FROM temp.wanted CROSS JOIN runs ON runs.id = wanted.id "
                "WHERE exit_status IS NOT NULL"
            ).fetchall())
        finished = {r[0] for r in conn.execute(
            "SELECT runs.id FROM temp.wanted CROSS JOIN runs ON runs.id = wanted.id WHERE exit_status IS NOT NULL"
        )}
        rows = conn.execute(
            "SELECT run_id, key, first, last, min, max, avg, count, step, total "
            "FROM temp.wanted CROSS JOIN scalars ON scalars.run_id = wanted.id ORDER BY wanted.id, key"
        ).fetchall()
    finally:
        conn.execute("COMMIT")
    return _summaries(rows), finished


def last_pairs(text: str | None) -> dict[str, list[Any]] | None:
    """A run's ``last_scalars`` in the index (``Run.indexed_last``) as written:
    ``{key: [last, step]}``; None when the text cannot be read."""
    try:
        data = index_json(text) if text else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for v in data.values():
        if type(v) is not list or len(v) != 2:
            return None
    return data


def last_values(text: str | None) -> dict[str, Summary] | None:
    """Summaries holding only the last value and step (``last_pairs``); None when
    the text cannot be read."""
    pairs = last_pairs(text)
    return None if pairs is None else summaries_of_pairs(pairs)


def summaries_of_pairs(pairs: dict[str, list[Any]]) -> dict[str, Summary] | None:
    """``last_pairs`` as summaries holding only the last value and step; None
    when a value is not a number."""
    nan = math.nan
    try:
        return {str(key): Summary(nan, float(last), nan, nan, nan, 1, int(step)) for key, (last, step) in pairs.items()}
    except (ValueError, TypeError):
        return None


def _last_only(rows: list[Any]) -> tuple[dict[str, dict[str, Summary]], set[str]]:
    """``last_values`` of each run; a run whose text cannot be read is left to its
    folder (not counted as finished)."""
    found: dict[str, dict[str, Summary]] = {}
    finished: set[str] = set()
    for rid, text in rows:
        values = last_values(text)
        if values is not None:
            found[rid] = values
            finished.add(rid)
    return found, finished


def _summaries(rows: list[Any]) -> dict[str, dict[str, Summary]]:
    found: dict[str, dict[str, Summary]] = {}
    nan = math.nan  # NaN is stored as NULL
    for rid, key, first, last, lo, hi, avg, count, step, total in rows:
        by_key = found.get(rid)
        if by_key is None:
            by_key = found[rid] = {}
        by_key[key] = Summary(
            nan if first is None else first, nan if last is None else last, nan if lo is None else lo,
            nan if hi is None else hi, nan if avg is None else avg, count or 0, step or 0,
            nan if total is None else total,
        )
    return found


def _from_folder(ctx: Context, run_id: str) -> dict[str, Summary]:
    for deleted in (False, True):
        run = run_for_id(ctx, run_id, deleted)
        if run.path.is_dir():
            try:
                return run_scalars.load(ctx, run.path, finished=run.get("exit_status") is not None)
            except (RunStoreError, OSError):
                return {}
    return {}


def display_order(key: str) -> tuple[bool, str]:
    """A run's own scalars first, then its steps' (``STEP/.guild#KEY``), each sorted."""
    return ("/.guild#" in key, key)


def summaries(ctx: Context, run_ids: Iterable[str], last_only: bool = False) -> dict[str, dict[str, Summary]]:
    """``{run_id: {key: Summary}}`` for each of ``run_ids`` (``{}`` for a run without scalars).

    Keys come sorted. Unknown ids map to ``{}``. Never raises for a damaged
    run or index: what cannot be read is left out. With ``last_only`` the
    index gives only ``last`` and ``step`` (``first``, ``min``, ``max``,
    ``avg`` and ``total`` are NaN and ``count`` 1): half the reading, for
    a table of last values.
    """
    ids = list(dict.fromkeys(run_ids))
    found: dict[str, dict[str, Summary]] = {}
    finished: set[str] = set()
    conn = index.open_index(ctx)
    if conn is not None:
        try:
            last = ctx.cache.get(index.REFRESHED)
            if not (isinstance(last, float) and time.monotonic() - last < _FRESH_S):
                index.refresh(ctx, conn)
            found, finished = _from_index(conn, ids, last_only)
        except sqlite3.Error:
            found, finished = {}, set()
        finally:
            conn.close()
    out: dict[str, dict[str, Summary]] = {}
    for rid in ids:
        if rid in finished:
            out[rid] = found.get(rid, {})
        else:
            out[rid] = dict(sorted(_from_folder(ctx, rid).items()))  # as the index: by key
    return out


def run_summaries(ctx: Context, run_id: str) -> dict[str, Summary]:
    """One run's summaries (see ``summaries``)."""
    return summaries(ctx, [run_id])[run_id]
