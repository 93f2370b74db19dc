"""One run's scalar summaries, from its files.

A finished run keeps them in ``.guild/scalars.json`` (written at its end, see
``ops/scalars.capture``). Otherwise (a live run, a run Guild made) they are
computed from the run's own series (``series.tsv``), the TensorBoard event
files anywhere in its folder, and for a pipeline its steps' summaries as
``STEP/.guild#KEY``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..context import Context
from ..util.files import atomic_write
from . import events, links, series
from .run import Run
from .series import Summary

_HINTED = "scalars.tensorboard_hint"


def summary_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / "scalars.json"


def hint_once(ctx: Context | None) -> None:
    """Tell (once per command) that event files were found but cannot be read."""
    if ctx is not None and not ctx.cache.get(_HINTED):
        ctx.cache[_HINTED] = True
        ctx.ui.info(f"WARNING: {events.EXTRA_HINT}")


def _event_points(ctx: Context | None, run_dir: Path, skip_guild: bool) -> list[series.Point]:
    files = events.find(run_dir, skip_guild=skip_guild)
    if not files:
        return []
    if not events.available():
        hint_once(ctx)
        return []
    points: list[series.Point] = []
    for path in files:
        points += events.read(path)
    return points


def _step_summaries(run_dir: Path, depth: int) -> dict[str, Summary]:
    out: dict[str, Summary] = {}
    for name in links.run_link_names(run_dir):
        step_dir = run_dir / name
        if not step_dir.is_dir():
            continue
        for key, s in load(None, step_dir, finished=True, depth=depth + 1).items():
            out[f"{name}/.guild#{key}"] = s
    return out


def points(ctx: Context | None, run_dir: Path, own: list[series.Point] | None = None) -> list[series.Point]:
    """Every value of the run's own scalars: its series (``own`` when already read),
    then its event files'."""
    has_own = own is not None or series.has_series(run_dir)
    if own is None:
        own = series.read(run_dir) if has_own else []
    return own + _event_points(ctx, run_dir, skip_guild=has_own)


def compute(
    ctx: Context | None, run_dir: Path, depth: int = 0, own: list[series.Point] | None = None,
    own_accs: dict[str, series.Accumulator] | None = None,
) -> dict[str, Summary]:
    """Summaries computed from the run's files (see the module's docstring); ``own``
    is the run's series when the caller has read it already, ``own_accs`` its
    series already summed up (the tee's, which saw every value)."""
    if own_accs is not None:
        out = series.summarize(_event_points(ctx, run_dir, skip_guild=True), dict(own_accs))
    else:
        points_ = points(ctx, run_dir, own)
        out = series.summarize(points_)
        if not points_ and own is None and not series.has_series(run_dir):
            out = _from_json(run_dir)  # a run from before series were kept
    # Links to steps first: reading the op attribute of a run without them is wasted.
    if depth < 4 and links.run_link_names(run_dir) and Run("", run_dir).is_pipeline():
        out.update(_step_summaries(run_dir, depth))
    return out


def _from_json(run_dir: Path) -> dict[str, Summary]:
    try:
        data = json.loads(summary_path(run_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Summary] = {}
    for k, v in data.items():
        s = Summary.from_dict(v)
        if s is not None:
            out[str(k)] = s
    return out


def load(ctx: Context | None, run_dir: Path, finished: bool, depth: int = 0) -> dict[str, Summary]:
    """The run's summaries: stored at its end when ``finished`` and present, else computed."""
    if finished and summary_path(run_dir).exists():
        return _from_json(run_dir)
    try:
        return compute(ctx, run_dir, depth)
    except OSError:
        return {}


def write_summary(run_dir: Path, summaries: dict[str, Summary]) -> None:
    """``.guild/scalars.json``; NaN and inf as JSON's ``NaN``/``Infinity`` (Python reads them back)."""
    data = {k: s.as_dict() for k, s in sorted(summaries.items())}
    atomic_write(summary_path(run_dir), json.dumps(data, sort_keys=True))
