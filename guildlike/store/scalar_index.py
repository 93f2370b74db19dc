"""Scalar summaries of many runs at once, from the index.

``summaries(ctx, run_ids)`` is what listings and comparisons use: for each
run, ``{key: Summary}`` with ``first``, ``last``, ``min``, ``max``, ``avg``
(NaN ignored; NaN when every value is NaN), ``count`` and ``step`` (the step
of the last value). Values are floats (``nan``, ``inf`` and ``-inf``
included: sort with ``math.isnan`` in mind); keys are strings and may hold
``/`` and ``#`` (a pipeline's step scalars are ``STEP/.guild#KEY``).

A finished run's summaries come from the index, never from its folder. A
live run's (no exit status yet) are computed from its series as it grows,
and so are those of runs the index does not hold (deleted runs, an index that
cannot be opened).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from ..context import Context
from ..errors import RunStoreError
from . import index, run_scalars
from .series import Summary
from .store import run_for_id

_CHUNK = 500


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def _from_index(conn: sqlite3.Connection, ids: Sequence[str]) -> tuple[dict[str, dict[str, Summary]], set[str]]:
    """Stored summaries of finished runs, and the ids the index holds as finished."""
    found: dict[str, dict[str, Summary]] = {}
    finished: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        chunk = list(ids[i : i + _CHUNK])
        marks = ",".join("?" * len(chunk))
        finished.update(
            r[0] for r in conn.execute(f"SELECT id FROM runs WHERE id IN ({marks}) AND exit_status IS NOT NULL", chunk)
        )
        rows = conn.execute(
            f"SELECT run_id, key, first, last, min, max, avg, count, step FROM scalars "
            f"WHERE run_id IN ({marks}) ORDER BY run_id, key",
            chunk,
        )
        for rid, key, first, last, lo, hi, avg, count, step in rows:
            found.setdefault(rid, {})[key] = Summary(
                _num(first), _num(last), _num(lo), _num(hi), _num(avg), int(count or 0), int(step or 0)
            )
    return found, finished


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


def summaries(ctx: Context, run_ids: Iterable[str]) -> dict[str, dict[str, Summary]]:
    """``{run_id: {key: Summary}}`` for each of ``run_ids`` (``{}`` for a run without scalars).

    Keys come sorted. Unknown ids map to ``{}``. Never raises for a damaged
    run or index: what cannot be read is left out.
    """
    ids = list(dict.fromkeys(run_ids))
    found: dict[str, dict[str, Summary]] = {}
    finished: set[str] = set()
    conn = index.open_index(ctx)
    if conn is not None:
        try:
            index.refresh(ctx, conn)
            found, finished = _from_index(conn, ids)
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
