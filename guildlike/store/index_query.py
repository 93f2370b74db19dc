"""Queries of the run index: the runs a filter selects, newest first (see ``store/index.py``)."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import status as status_mod
from .filters import RunFilter, op_matches
from .index_rows import RUN_SELECT, is_corrupt, remove_db, run_from_row
from .run import Run


def _status_sql(flt: RunFilter) -> str:
    """A SQL condition that keeps every row that may match the status filter.

    Rows without an exit status are always kept: their status depends on
    live markers (LOCK, STAGED, PENDING) and is checked in Python.
    """
    if not (flt.statuses or flt.not_statuses):
        return ""
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
    return "(" + " OR ".join(conds) + ")"


def _op_sql(conn: sqlite3.Connection, flt: RunFilter) -> tuple[str, list[Any]] | None:
    """The condition of ``-Fo``; None when no operation matches."""
    names = [r[0] for r in conn.execute("SELECT DISTINCT op_name FROM runs")]
    keep = [n for n in names if any(op_matches(p, n) for p in flt.ops)]
    if not keep:
        return None
    return f"op_name IN ({','.join('?' * len(keep))})", keep


def _where(flt: RunFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
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
    cond = _status_sql(flt)
    if cond:
        where.append(cond)
    return where, params


def query(conn: sqlite3.Connection, flt: RunFilter, columns: str) -> Iterable[tuple[Any, ...]]:
    """``columns`` of the rows that may match ``flt`` (live runs' status is checked later), newest first."""
    where, params = _where(flt)
    if flt.ops:
        found = _op_sql(conn, flt)
        if found is None:
            return []
        where.insert(0, found[0])
        params = found[1] + params
    sql = f"SELECT {columns} FROM runs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY sort_time DESC, id DESC"
    return conn.execute(sql, params)


class RunList(Sequence[Run]):
    """Runs newest first, read from the index a page at a time.

    Holding only ids keeps a listing of 100,000 runs small and fast: the
    full rows are read for the runs that are looked at (the first 20, a
    selected one).
    """

    PAGE = 500

    def __init__(self, conn: sqlite3.Connection, runs_dir: Path, ids: list[str], flt: RunFilter | None = None) -> None:
        self._conn = conn
        self._runs_dir = runs_dir
        self.ids = ids
        self._flt = flt  # the query that gave ids: iterating them all reads their rows in one query
        self._runs: dict[int, Run] = {}
        self._oprefs: dict[tuple[str, ...], Any] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def _load(self, indexes: list[int]) -> None:
        missing = [i for i in indexes if i not in self._runs]
        for start in range(0, len(missing), self.PAGE):
            chunk = missing[start : start + self.PAGE]
            by_id = {self.ids[i]: i for i in chunk}
            sql = f"SELECT {RUN_SELECT} FROM runs WHERE id IN ({','.join('?' * len(by_id))})"
            try:
                for row in self._conn.execute(sql, list(by_id)):
                    self._runs[by_id[row[0]]] = run_from_row(self._runs_dir, row, self._oprefs)
            except (sqlite3.Error, ValueError, TypeError, KeyError) as e:
                # A damaged index: these runs are read from their folders, and
                # the next listing rebuilds it.
                if is_corrupt(e):
                    remove_db(Path(self._runs_dir).parent / "index.sqlite")
            for i in chunk:  # a row removed meanwhile: read the directory itself
                if i not in self._runs:
                    self._runs[i] = Run(self.ids[i], self._runs_dir / self.ids[i])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            idx = list(range(len(self.ids))[i])
            self._load(idx)
            return [self._runs[j] for j in idx]
        if i < 0:
            i += len(self.ids)
        if not 0 <= i < len(self.ids):
            raise IndexError(i)
        self._load([i])
        return self._runs[i]

    def __iter__(self) -> Iterator[Run]:
        if self._flt is not None and not self._runs and len(self.ids) > self.PAGE:
            self._load_all(self._flt)
        for start in range(0, len(self.ids), self.PAGE):
            yield from self[start : start + self.PAGE]

    def _load_all(self, flt: RunFilter) -> None:
        """Every row at once, by the query that selected the ids (a third faster
        than looking them up a page at a time); rows changed meanwhile are left
        to ``_load``."""
        where = {rid: i for i, rid in enumerate(self.ids)}
        try:
            for row in query(self._conn, flt, RUN_SELECT):
                i = where.get(row[0])
                if i is not None:
                    self._runs[i] = run_from_row(self._runs_dir, row, self._oprefs)
        except (sqlite3.Error, ValueError, TypeError, KeyError):
            self._runs.clear()  # _load reads them again (and handles a damaged index)


def query_ids(conn: sqlite3.Connection, flt: RunFilter, runs_dir: Path) -> list[str]:
    """The ids of the runs ``flt`` selects, newest first."""
    if not (flt.statuses or flt.not_statuses):  # ids alone: the sort index covers them
        return [r[0] for r in query(conn, flt, "id")]
    rows = query(conn, flt, "id, exit_status IS NULL")
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
