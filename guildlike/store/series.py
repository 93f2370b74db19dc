"""A run's scalars as series, and their summaries.

``.guild/series.tsv`` holds one line per value, appended while the run
runs, so that a live run shows its progress::

    STEP<TAB>VALUE<TAB>TIME<TAB>KEY

VALUE is Python's ``repr`` of a float (``nan``, ``inf`` included), TIME the
wall time in seconds. A line cut short by a crash is skipped when read.
The summary of a key (first, last, min, max, avg, total, count, last step) is what
listings and comparisons use; NaN never takes part in min, max, avg or total.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

SERIES_NAME = "series.tsv"

# (key, step, value, wall time)
Point = tuple[str, int, float, float]


def series_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / SERIES_NAME


@dataclass(slots=True)
class Summary:
    """One key's values over a run. ``step`` is the step of the last value;
    ``total`` is the sum of the values (NaN left out, as from ``avg``).
    Not changed once made; slots make the many a listing reads cheap."""

    first: float
    last: float
    min: float
    max: float
    avg: float
    count: int
    step: int
    total: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first, "last": self.last, "min": self.min, "max": self.max,
            "avg": self.avg, "total": self.total, "count": self.count, "step": self.step,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Summary | None:
        """From ``as_dict`` (or the older ``last/step/min/max/first/count``); None when unusable."""
        if not isinstance(d, dict) or not _is_number(d.get("last")):
            return None
        raw: Any = d["last"]
        last = float(raw)

        def num(name: str, default: float) -> float:
            v: Any = d.get(name)
            return float(v) if _is_number(v) else default

        count = d.get("count")
        step = d.get("step")
        count = count if isinstance(count, int) and count > 0 else 1
        avg = num("avg", math.nan)
        return cls(
            first=num("first", last), last=last, min=num("min", last), max=num("max", last),
            avg=avg, count=count, step=step if isinstance(step, int) and not isinstance(step, bool) else 0,
            total=num("total", avg * count),  # older summaries: exact when no value was NaN
        )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Accumulator:
    """Builds a ``Summary`` one value at a time."""

    __slots__ = ("first", "last", "min", "max", "total", "finite", "count", "step")

    def __init__(self) -> None:
        self.first = self.last = self.min = self.max = math.nan
        self.total = 0.0
        self.finite = 0  # values counted in the average (not NaN)
        self.count = 0
        self.step = 0

    def add(self, value: float, step: int) -> None:
        if not self.count:
            self.first = value
        self.count += 1
        self.last, self.step = value, step
        if value != value:  # NaN
            return
        self.total += value
        self.finite += 1
        if not (self.min <= value):  # also when min is NaN
            self.min = value
        if not (self.max >= value):
            self.max = value

    def summary(self) -> Summary:
        avg = self.total / self.finite if self.finite else math.nan
        return Summary(self.first, self.last, self.min, self.max, avg, self.count, self.step,
                       self.total if self.finite else math.nan)


def summarize(points: Iterable[Point], accs: dict[str, Accumulator] | None = None) -> dict[str, Summary]:
    """Summaries by key, in the order of the points (last value: the last point);
    ``accs`` holds what came before the points (``accumulate``), and is added to."""
    accs = {} if accs is None else accs
    accumulate(points, accs)
    return {k: a.summary() for k, a in accs.items()}


def accumulate(points: Iterable[Point], accs: dict[str, Accumulator]) -> None:
    """Add ``points`` to the accumulators by key in ``accs``."""
    for key, step, value, _t in points:
        acc = accs.get(key)
        if acc is None:
            acc = accs[key] = Accumulator()
        acc.add(value, step)


def clean_key(key: str) -> str:
    return key.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def format_point(key: str, step: int, value: float, t: float) -> str:
    return f"{step}\t{value!r}\t{t:.3f}\t{clean_key(key)}\n"


class SeriesWriter:
    """Appends points to a run's series file; ``flush`` makes them visible to readers."""

    def __init__(self, run_dir: Path) -> None:
        self.path = series_path(run_dir)
        self._file: IO[str] | None = None
        self._buf: list[str] = []

    def add(self, key: str, step: int, value: float, t: float) -> None:
        self._buf.append(format_point(key, step, value, t))

    def add_lines(self, lines: list[str]) -> None:
        """Lines already in the file's format (``format_point``)."""
        self._buf += lines

    def flush(self) -> None:
        if not self._buf:
            return
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write("".join(self._buf))
        self._file.flush()
        self._buf.clear()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._file is not None:
                self._file.close()
                self._file = None


def parse_line(line: str) -> Point | None:
    parts = line.rstrip("\n").split("\t", 3)
    if len(parts) != 4 or not line.endswith("\n"):
        return None
    try:
        return parts[3], int(parts[0]), float(parts[1]), float(parts[2])
    except ValueError:
        return None


def read(run_dir: Path) -> list[Point]:
    """The run's own series (empty when it has none); a line cut short is left out."""
    try:
        with open(series_path(run_dir), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
    except OSError:
        return []
    lines.pop()  # after the last newline: nothing, or a line still being written
    out: list[Point] = []
    append = out.append
    for line in lines:  # parse_line, inline: a run's end reads every value
        parts = line.split("\t", 3)
        try:
            append((parts[3], int(parts[0]), float(parts[1]), float(parts[2])))
        except (IndexError, ValueError):
            continue
    return out


def has_series(run_dir: Path) -> bool:
    return os.path.exists(series_path(run_dir))
