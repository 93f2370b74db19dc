"""The cells of ``compare``: run attributes, flags and scalar summaries of each run.

A row reads its run's flags and scalars once; ``prefetch_scalars`` reads the
summaries of every run of a table from the index at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..context import Context
from ..errors import RunStoreError, StepLinkError
from ..store import links, scalar_index
from ..store import run_scalars as run_scalars_mod
from ..store.run import Run
from ..store.series import Summary
from ..util.timeutil import format_many, format_us, now_us
from .columns import ATTR, FLAG, SCALAR, Column


def prefetch_scalars(ctx: Context, runs: Sequence[Run], last_only: bool = False) -> None:
    """Read the scalar summaries of ``runs`` at once, from the index where it has
    them, so that ``run_scalars`` opens no run folder for them. ``last_only``
    reads only last values and steps (``last_pairs`` serves them; see
    ``scalar_index.summaries``): the caller reads them again in full before any
    other field is used."""
    rest = list(runs)
    if last_only:  # runs listed from the index came with their last values, as written
        rest = []
        for run in runs:
            pairs = scalar_index.last_pairs(run.indexed_last) if run.indexed_last else None
            if pairs is None:
                rest.append(run)
            else:
                ctx.cache["last:" + run.id] = pairs
    if not rest:
        return
    found = scalar_index.summaries(ctx, [r.id for r in rest], last_only)
    for run in rest:
        ctx.cache["scalars:" + run.id] = found.get(run.id, {})


def run_scalars(ctx: Context, run: Run) -> dict[str, Summary]:
    """``{key: Summary}`` of ``run``'s scalars; the one place compare, diff and
    batches read scalars (cached per run for the command)."""
    key = "scalars:" + run.id
    found = ctx.cache.get(key)
    if isinstance(found, dict):
        return found
    pairs = ctx.cache.get("last:" + run.id)
    data = scalar_index.summaries_of_pairs(pairs) if isinstance(pairs, dict) else None
    if data is None:
        data = run_scalars_mod.load(None, run.path, finished=True)
    ctx.cache[key] = data
    return data


def last_pairs(ctx: Context, run: Run) -> dict[str, Any]:
    """``{key: (last, step)}`` of ``run``'s scalars: as the index wrote them when
    prefetched with ``last_only`` (no summary made per value), else from ``run_scalars``."""
    pairs = ctx.cache.get("last:" + run.id)
    if isinstance(pairs, dict):
        return pairs
    return {k: (s.last, s.step) for k, s in run_scalars(ctx, run).items()}


def safe_get(run: Run, name: str) -> Any:
    """An attribute, None when its file is damaged (the run is still a row)."""
    try:
        return run.get(name)
    except RunStoreError:
        return None


def run_flags(run: Run) -> dict[str, Any]:
    flags = safe_get(run, "flags")
    return flags if isinstance(flags, dict) else {}


def last_value(summary: Summary | None) -> Any:
    return None if summary is None else summary.last


def _duration(run: Run) -> str:
    """As Guild: a running run's time so far, a stopped run's from start to stop,
    else (never started, or ended without a stop time) empty."""
    start = run.started
    if start is None:
        return ""
    stop = safe_get(run, "stopped")
    if run.get("exit_status") is None and run.status == "running":  # (a run with one has ended)
        end = now_us()
    elif isinstance(stop, int) and not isinstance(stop, bool) and stop:
        end = stop
    else:
        return ""
    secs = max(0, (end - start) // 1_000_000)
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def _last_step(ctx: Context, run: Run) -> Any:
    steps = [s.step for s in run_scalars(ctx, run).values()]
    return max(steps) if steps else None


_COMPUTED: dict[str, Callable[[Context, Run], Any]] = {
    "run": lambda ctx, run: run.short_id,
    "id": lambda ctx, run: run.id,
    "operation": lambda ctx, run: run.op_name,
    "started": lambda ctx, run: format_us(run.started),
    "stopped": lambda ctx, run: format_us(safe_get(run, "stopped")),
    "time": lambda ctx, run: _duration(run),
    "status": lambda ctx, run: run.status,
    "label": lambda ctx, run: run.label,
    "step": _last_step,
    "sourcecode": lambda ctx, run: str(safe_get(run, "sourcecode_digest") or "")[:8] or None,
    "tags": lambda ctx, run: " ".join(run.tags),
}

def attr_value(ctx: Context, run: Run, name: str) -> Any:
    """A run attribute as a cell (``run``, ``time``, ``step`` and a few more are computed)."""
    computed = _COMPUTED.get(name)
    if computed is not None:
        return computed(ctx, run)
    val = safe_get(run, name)
    return json.dumps(val, sort_keys=True) if isinstance(val, (dict, list)) else val


def _step_run(run: Run, name: str) -> Run | None:
    try:
        return links.checked_target(run, name)
    except (StepLinkError, OSError):
        return None


def cell(ctx: Context, run: Run, col: Column) -> Any:
    if col.kind == FLAG:
        return run_flags(run).get(col.name)
    if col.kind == ATTR:
        return attr_value(ctx, run, col.name)
    source = _step_run(run, col.step) if col.step else run
    if source is None:
        return None
    summary = run_scalars(ctx, source).get(col.name)
    if summary is None:
        return None
    return getattr(summary, "step" if col.want_step else col.qualifier)


def _column(
    ctx: Context, col: Column, runs: Sequence[Run], flags: list[dict[str, Any]], pairs: list[dict[str, Any]],
    scals: list[dict[str, Summary]],
) -> list[Any]:
    """``cell`` of ``col`` for every run, given each run's flags, ``last_pairs`` and
    (when ``needs_full``) scalars: a column at a time, so the common columns cost
    no call per cell."""
    name = col.name
    if col.kind == FLAG:
        return [f.get(name) for f in flags]
    if col.kind == ATTR:
        if name == "run":
            return [r.id[:8] for r in runs]
        if name == "operation":
            return [r.op_name for r in runs]
        if name == "started":
            return format_many([r.started for r in runs])
        if name == "time":
            return [_duration(r) for r in runs]
        if name == "status":
            return [r.status for r in runs]
        if name == "label":
            return [r.label for r in runs]
        if name == "step":
            return [max([p[1] for p in d.values()]) if d else None for d in pairs]
        return [attr_value(ctx, r, name) for r in runs]
    if col.step:
        return [cell(ctx, r, col) for r in runs]
    if col.want_step:
        return [None if (p := d.get(name)) is None else p[1] for d in pairs]
    if col.qualifier == "last":
        return [None if (p := d.get(name)) is None else p[0] for d in pairs]
    field_ = col.qualifier
    return [None if (s := sc.get(name)) is None else getattr(s, field_) for sc in scals]


def needs_full(cols: list[Column]) -> bool:
    """True when a scalar column shows more than a last value or its step (a
    pipeline step's column reads the step's run, which may be in the table)."""
    return any(c.kind == SCALAR and not c.want_step and c.qualifier != "last" for c in cols)


def row_data(ctx: Context, runs: Sequence[Run]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each run's flags and ``last_pairs``, read once for a table's columns and cells."""
    return [run_flags(run) for run in runs], [last_pairs(ctx, run) for run in runs]


def rows_of(
    ctx: Context, runs: Sequence[Run], cols: list[Column],
    flags: list[dict[str, Any]] | None = None, pairs: list[dict[str, Any]] | None = None,
) -> list[list[Any]]:
    """The cells of ``cols`` for each run (as ``cell``, faster); ``flags`` and
    ``pairs`` as ``row_data`` gives them, when the caller has them."""
    if flags is None or pairs is None:
        flags, pairs = row_data(ctx, runs)
    scals = [run_scalars(ctx, run) for run in runs] if needs_full(cols) else []
    columns = [_column(ctx, col, runs, flags, pairs, scals) for col in cols]
    return list(map(list, zip(*columns, strict=True)))
