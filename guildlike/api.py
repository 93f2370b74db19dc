"""guildlike's Python API: runs, their flags and scalars, for notebooks and scripts.

    from guildlike import api

    for run in api.runs(operation="train", status="completed"):
        print(run.short_id, run.flags, run.scalars["loss"].last)
    api.series(run, "loss")        # [(step, value, time), ...] or a DataFrame
    api.compare(operation="train") # a DataFrame: runs x (flags, last scalar values)

Runs are read from ``$GUILDLIKE_HOME`` (or ``home=``), newest first, as
``guildlike runs`` lists them. ``series(..., frame=True)`` and ``compare``
need pandas (``pip install 'guildlike[pandas]'``). See docs/api.md.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .context import Context
from .errors import MissingExtra, RunNotFound
from .store import attrs as attrs_mod
from .store import run_scalars, scalar_index, store, timerange
from .store.filters import RunFilter
from .store.series import Summary

__all__ = ["Run", "Summary", "runs", "series", "compare"]


@dataclass
class Run:
    """One run: what ``runs info`` shows, as Python values."""

    id: str
    operation: str
    status: str
    label: str
    started: datetime.datetime | None
    path: Path
    flags: dict[str, Any]
    scalars: dict[str, Summary]
    attributes: dict[str, Any] = field(repr=False)

    @property
    def short_id(self) -> str:
        return self.id[:8]


def _context(home: str | os.PathLike[str] | None) -> Context:
    ctx = Context.from_env()
    if home is not None:
        ctx.home = Path(home).expanduser().absolute()
    return ctx


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _filter(
    operation: str | Iterable[str] | None,
    label: str | Iterable[str] | None,
    tag: str | Iterable[str] | None,
    status: str | Iterable[str] | None,
    started: str | None,
) -> RunFilter:
    return RunFilter(
        ops=_names(operation),
        labels=_names(label),
        tags=_names(tag),
        statuses=set(_names(status)),
        started=timerange.parse(started) if started else None,
    )


def _attributes(path: Path, run: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in attrs_mod.names(path):
        try:
            out[name] = run.get(name)
        except Exception:  # a damaged attribute reads as absent, as in `runs info`
            out[name] = None
    return out


def _started(us: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(us / 1e6) if us else None


def runs(
    operation: str | Iterable[str] | None = None,
    label: str | Iterable[str] | None = None,
    tag: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
    started: str | None = None,
    home: str | os.PathLike[str] | None = None,
) -> list[Run]:
    """Runs, newest first, filtered as ``guildlike runs -Fo/-Fl/-Ft/-S.../--started`` do.

    ``status`` is ``running``, ``completed``, ``error``, ``terminated``,
    ``staged`` or ``pending`` (several: any of them); ``started`` a RANGE such
    as ``'last 2 hours'``. Scalar summaries come from the index.
    """
    ctx = _context(home)
    listed = list(store.list_runs(ctx, _filter(operation, label, tag, status, started)))
    summaries = scalar_index.summaries(ctx, [r.id for r in listed])
    return [
        Run(
            id=r.id, operation=r.op_name, status=r.status, label=r.label, started=_started(r.started),
            path=r.path, flags=r.flags, scalars=summaries.get(r.id, {}), attributes=_attributes(r.path, r),
        )
        for r in listed
    ]


def _pandas() -> Any:
    if importlib.util.find_spec("pandas") is None:
        raise MissingExtra("a DataFrame", "pandas")
    import pandas  # lazy: optional extra, and slow to import

    return pandas


def _run_dir(run: Run | str, key: str, home: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """The folder whose series holds ``key`` (a pipeline's step for ``STEP/.guild#KEY``)."""
    if isinstance(run, Run):
        path = run.path
    else:
        found = [r for r in store.list_runs(_context(home), RunFilter()) if r.id.startswith(run)]
        if len(found) != 1:
            raise RunNotFound(f"cannot find a run matching '{run}'" if not found else f"'{run}' matches several runs")
        path = found[0].path
    step, sep, rest = key.partition("/.guild#")
    if sep and (path / step).is_dir():
        return path / step, rest
    return path, key


def series(
    run: Run | str, key: str, frame: bool | None = None, home: str | os.PathLike[str] | None = None
) -> Any:
    """Every value of one scalar of ``run`` (a ``Run`` or the start of an id), in order.

    A list of ``(step, value, time)`` tuples, or with pandas (``frame`` None
    and pandas installed, or ``frame=True``) a DataFrame with columns
    ``step``, ``value`` and ``time`` (a datetime). A live run's values so far.
    """
    run_dir, own_key = _run_dir(run, key, home)
    rows = [(step, value, t) for k, step, value, t in run_scalars.points(None, run_dir) if k == own_key]
    if frame is False or (frame is None and importlib.util.find_spec("pandas") is None):
        return rows
    pd = _pandas()
    df = pd.DataFrame(rows, columns=["step", "value", "time"])
    df["time"] = pd.to_datetime(df["time"], unit="s")
    return df


def compare(runs_: Iterable[Run] | None = None, home: str | os.PathLike[str] | None = None, **filters: Any) -> Any:
    """A DataFrame, one row per run (newest first): ``run`` (short id), ``operation``,
    ``started``, ``status``, ``label``, then each flag and each scalar's last value.

    ``runs_`` is a list from ``runs()``; without it the runs ``filters``
    select (the keywords of ``runs()``). Needs pandas.
    """
    pd = _pandas()
    selected = list(runs_) if runs_ is not None else runs(home=home, **filters)
    flag_names = sorted({k for r in selected for k in r.flags})
    scalar_names = sorted({k for r in selected for k in r.scalars}, key=scalar_index.display_order)
    records = []
    for r in selected:
        rec: dict[str, Any] = {
            "run": r.short_id, "operation": r.operation, "started": r.started, "status": r.status, "label": r.label
        }
        rec.update({k: r.flags.get(k) for k in flag_names})
        rec.update({k: (r.scalars[k].last if k in r.scalars else None) for k in scalar_names})
        records.append(rec)
    columns = ["run", "operation", "started", "status", "label"] + flag_names + scalar_names
    return pd.DataFrame.from_records(records, columns=columns)
