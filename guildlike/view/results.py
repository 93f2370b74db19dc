"""Series, compare tables, pipelines with their restart plan, and diffs, as JSON-ready dicts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import BadRequest, GuildlikeError
from ..ops import compare as compare_mod
from ..ops import diff as diff_mod
from ..ops import plan as plan_mod
from ..ops import runlog
from ..ops.options import RunOptions
from ..store import events, run_scalars
from ..store import series as series_mod
from ..store.run import Run
from .params import Query
from .runsdata import find_run, linked, row

MAX_POINTS = 2000
MAX_COMPARED = 5000


def _thin(points: list[list[Any]], most: int) -> list[list[Any]]:
    """At most ``most`` points, evenly spaced, the last one always kept."""
    if len(points) <= most:
        return points
    stride = math.ceil(len(points) / most)
    kept = points[::stride]
    return kept if kept[-1] is points[-1] else kept + [points[-1]]


def _grouped(run_dir: Path, prefix: str = "") -> dict[str, list[list[Any]]]:
    out: dict[str, list[list[Any]]] = {}
    for key, step, value, t in run_scalars.points(None, run_dir):
        out.setdefault(prefix + key, []).append([step, value, t])
    return out


def all_series(run: Run, most: int = MAX_POINTS) -> dict[str, list[list[Any]]]:
    """Every series of ``run`` (``[step, value, time]`` points), with its steps' as ``STEP/.guild#KEY``."""
    found = _grouped(run.path)
    for name, target in runlog.step_links(run):
        if target is not None:
            found.update(_grouped(run.path / name, f"{name}/.guild#"))
    return {k: _thin(v, most) for k, v in sorted(found.items())}


def _own_points(run_dir: Path, key: str) -> list[list[Any]] | None:
    """``key``'s points from the run's series file alone, None when event files have some too.

    Only the lines of ``key`` are parsed: a compare of many runs asks for one
    scalar of each, and most lines are other scalars'.
    """
    if not series_mod.has_series(run_dir) or events.find(run_dir, skip_guild=True):
        return None
    suffix = f"\t{series_mod.clean_key(key)}\n"
    try:
        with open(series_mod.series_path(run_dir), encoding="utf-8", errors="replace") as f:
            found = [series_mod.parse_line(line) for line in f if line.endswith(suffix)]
    except OSError:
        return None
    out: list[list[Any]] = []
    for p in found:
        if p is not None and p[0] == key:
            out.append([p[1], p[2], p[3]])
    return out


def one_series(run: Run, key: str, most: int = MAX_POINTS) -> list[list[Any]]:
    step, sep, own = key.partition("/.guild#")
    run_dir = run.path / step if sep and (run.path / step).is_dir() else run.path
    want = own if sep else key
    points = _own_points(run_dir, want)
    if points is None:
        points = [[s, v, t] for k, s, v, t in run_scalars.points(None, run_dir) if k == want]
    return _thin(points, most)


def series(ctx: Context, q: Query) -> dict[str, Any]:
    """One scalar (``key``) of each of the ``run`` ids, thinned to ``points`` points each (``time=0``: no times)."""
    key = q.one("key")
    if not key:
        raise BadRequest(400, "key is required")
    ids = q.many("run")
    if not ids:
        raise BadRequest(400, "run is required")
    most = q.number("points", MAX_POINTS, 2, 100_000)
    width = 3 if q.flag("time", True) else 2  # time=0: [step, value], a third less to send for a plot
    runs = [find_run(ctx, rid) for rid in ids]
    return {"key": key, "series": [{"run": r.id, "points": [p[:width] for p in one_series(r, key, most)]}
                                   for r in runs]}


def _selected(ctx: Context, q: Query) -> tuple[list[Run], Run | None]:
    ids = q.many("run")
    batch_id = q.one("batch")
    if len(ids) > MAX_COMPARED:
        raise BadRequest(400, f"at most {MAX_COMPARED} runs can be compared")
    runs = [find_run(ctx, rid) for rid in ids]
    batch = find_run(ctx, batch_id) if batch_id else None
    if batch is not None:
        if not batch.is_batch():
            raise BadRequest(400, f"run {batch.short_id} is not a batch")
        runs += compare_mod.trials_best_first(ctx, batch)
    if not runs:
        raise BadRequest(400, "give runs to compare (run=ID,...) or a batch (batch=ID)")
    return runs, batch


def compare(ctx: Context, q: Query) -> dict[str, Any]:
    """The compare table of the ``run`` ids and a ``batch``'s trials (best first), with ``skip_unchanged``."""
    runs, batch = _selected(ctx, q)
    opts = compare_mod.Options(skip_unchanged=q.flag("skip_unchanged"), all_scalars=True)
    table = compare_mod.table(ctx, runs, opts)
    objective = None
    if batch is not None:
        obj = compare_mod.batch_objective(batch)
        objective = {"scalar": obj.scalar, "maximize": obj.maximize}
    return {
        "ids": [r.id for r in runs], "headers": table.headers, "kinds": table.kinds, "rows": table.rows,
        "objective": objective, "batch": batch.id if batch else None,
    }


def pipeline(ctx: Context, run: Run, q: Query) -> dict[str, Any]:
    """A pipeline's (or batch's) steps with their runs, and what ``run --restart --plan`` says of each."""
    needed = q.flag("needed", True)
    verdicts: dict[str, tuple[str, str]] = {}
    plan_error = None
    try:
        for p in plan_mod.plan(ctx, run, {}, RunOptions(needed=needed)):
            verdicts[p.step] = (p.action, p.reason)
    except (GuildlikeError, OSError) as e:
        plan_error = str(e)
    steps = []
    for name, target in runlog.step_links(run):
        action, reason = verdicts.pop(name, (None, None))
        steps.append(dict(linked(ctx, target), name=name, action=action, reason=reason))
    rest = [{"name": n, "id": None, "exists": False, "action": a, "reason": r} for n, (a, r) in verdicts.items()]
    own = rest if not steps and len(rest) == 1 else []
    return {
        "run": row(run), "needed": needed, "steps": steps + ([] if own else rest),
        "plan": own[0] if own else None, "plan_error": plan_error,
    }


def _sections(q: Query) -> Sequence[str]:
    names = q.many("section") or list(diff_mod.DEFAULT_SECTIONS)
    bad = [n for n in names if n not in diff_mod.ALL_SECTIONS]
    if bad:
        raise BadRequest(400, f"unknown section {bad[0]!r}: use one of {', '.join(diff_mod.ALL_SECTIONS)}")
    return names


def diff(ctx: Context, q: Query) -> dict[str, Any]:
    """``diff``'s report of runs ``a`` and ``b``, section by section."""
    if not q.one("a") or not q.one("b"):
        raise BadRequest(400, "give two runs: a=ID&b=ID")
    a, b = find_run(ctx, q.one("a")), find_run(ctx, q.one("b"))
    out = [{"name": n, "lines": diff_mod.section(ctx, n, a, b)} for n in _sections(q)]
    return {"a": row(a), "b": row(b), "sections": out}
