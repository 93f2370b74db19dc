"""A batch's record of its trials: the ``trials`` attribute (flags and run id of
each) and the links from the batch's folder to the trial runs."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..context import Context
from ..store import links, status, store
from ..store.run import Run
from . import trials as trialsmod


def linked_trials(ctx: Context, batch: Run) -> list[Run]:
    """The runs the batch links to (its trials of every round), by ID."""
    return [store.run_for_id(ctx, rid) for rid in links.linked_ids(batch.path)]


def existing_trials(ctx: Context, batch: Run) -> list[tuple[dict[str, Any], Run | None]]:
    """(flags, run or None when it never ran or is gone) for each trial the batch records.

    A trial made in the batch's last round whose run ID did not reach the
    record (guildlike was killed) is found again by its link and flags.
    """
    records = list(batch.get("trials") or [])
    known = {rec.get("run") for rec in records}
    started = batch.get("started") or 0
    unrecorded = [
        r for r in linked_trials(ctx, batch) if r.id not in known and (r.get("initialized") or 0) >= started
    ]
    unrecorded.sort(key=lambda r: r.get("initialized") or 0)
    out: list[tuple[dict[str, Any], Run | None]] = []
    for rec in records:
        tflags = dict(rec.get("flags") or {})
        rid = rec.get("run")
        trun = store.run_for_id(ctx, rid) if rid else None
        if trun is None:
            trun = next((r for r in unrecorded if r.flags == tflags), None)
            if trun is not None:
                unrecorded.remove(trun)
        if trun is not None and not trun.path.is_dir():
            trun = None
        out.append((tflags, trun))
    return out


def repair_records(ctx: Context, batch: Run) -> None:
    """Write back run IDs ``existing_trials`` found by link (before a new round starts)."""
    records = list(batch.get("trials") or [])
    found = existing_trials(ctx, batch)
    if any(rec.get("run") is None and r is not None for rec, (_, r) in zip(records, found, strict=True)):
        batch.set("trials", [{"flags": f, "run": r.id if r else None} for f, r in found])


def needs_work(ctx: Context, batch: Run, spec: dict[str, Any]) -> bool:
    """True when a batch has a trial to (re)run, or a search has trials still to ask for."""
    records = list(batch.get("trials") or [])
    if spec.get("kind") not in ("grid", "random"):
        if len(records) < (spec.get("max_trials") or trialsmod.DEFAULT_MAX_TRIALS):
            return True
    return any(trun is None or trun.status != status.COMPLETED for _, trun in existing_trials(ctx, batch))


class TrialRecords:
    """The batch's ``trials`` attribute, kept up to date as trials are made (thread safe).

    Rewriting the whole list for each trial would cost a big grid time
    that grows with the square of its size, so a new run ID is saved at
    most every ``SAVE_EVERY`` seconds, and always by ``flush``. A run ID
    lost to a kill is found again by ``existing_trials``.
    """

    SAVE_EVERY = 1.0

    def __init__(self, batch: Run, records: list[tuple[dict[str, Any], Run | None]]) -> None:
        self._batch = batch
        self._items: list[list[Any]] = [[dict(f), r.id if r else None] for f, r in records]
        self._lock = threading.Lock()
        self._dirty = False
        self._saved_at = 0.0
        self._save()

    def __len__(self) -> int:
        return len(self._items)

    def _save(self) -> None:
        self._batch.set("trials", [{"flags": f, "run": rid} for f, rid in self._items])
        self._dirty = False
        self._saved_at = time.monotonic()

    def add(self, flags: dict[str, Any]) -> int:
        """Record a new trial (saved at once: its flags exist nowhere else yet)."""
        with self._lock:
            self._items.append([dict(flags), None])
            self._save()
            return len(self._items) - 1

    def set_run(self, i: int, run_id: str) -> None:
        with self._lock:
            self._items[i][1] = run_id
            self._dirty = True
            if time.monotonic() - self._saved_at >= self.SAVE_EVERY:
                self._save()

    def flush(self) -> None:
        with self._lock:
            if self._dirty:
                self._save()
