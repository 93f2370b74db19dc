"""Scalars from a run's output (``loss: 0.25``), stored in ``.guild/scalars.json``.

Without ``output-scalars`` a line ``KEY: NUMBER`` is a scalar (optionally
followed by ``(step N)``); ``step: N`` sets the step of what follows.
``output-scalars`` may map names to patterns with one group, be a list of
patterns with named groups, or be ``no``. ``\\value``, ``\\key`` and ``\\step``
are shorthands inside patterns.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildfileError
from ..store import events, run_scalars, series

VALUE = r"[-+]?(?:[0-9]+\.?[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|nan|NaN|inf|Inf|-inf)"
KEY = r"[A-Za-z_][^\s:]*"
STEP = r"[0-9]+"

_DEFAULT = re.compile(rf"^\s*({KEY}):\s+({VALUE})\s*(?:\((?:step\s+)?({STEP})\))?\s*$")
# The same over many lines at once (the tee's chunks): spaces never cross a line.
_DEFAULT_LINES = re.compile(
    rf"^[ \t]*({KEY}):[ \t]+({VALUE})[ \t]*(?:\((?:step[ \t]+)?({STEP})\))?[ \t\r]*$", re.MULTILINE
)
# How often the tee makes the series visible to readers (seconds).
FLUSH_EVERY_S = 0.2
# ... or once this much output waits (bytes): a run that prints fast has its values
# parsed while it runs, not all at its end.
FLUSH_BYTES = 16 * 1024


def _expand(pattern: str) -> str:
    return pattern.replace(r"\value", VALUE).replace(r"\key", KEY).replace(r"\step", STEP)


def _compile(spec: Any) -> list[tuple[str | None, re.Pattern[str]]] | None:
    if spec is None or spec is True:
        return None
    if spec is False or spec == "no":
        return []
    try:
        if isinstance(spec, dict):
            return [(str(k), re.compile(_expand(str(v)))) for k, v in spec.items()]
        if isinstance(spec, list):
            out: list[tuple[str | None, re.Pattern[str]]] = []
            for item in spec:
                if isinstance(item, dict):
                    out.extend((str(k), re.compile(_expand(str(v)))) for k, v in item.items())
                else:
                    out.append((None, re.compile(_expand(str(item)))))
            return out
    except re.error as e:
        raise GuildfileError(f"invalid output-scalars pattern: {e}") from None
    raise GuildfileError("invalid output-scalars: expected no, a mapping or a list of patterns")


def _num(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v


class OutputParser:
    """Scalars from output lines, one line at a time (``step: N`` carries over)."""

    def __init__(self, spec: Any) -> None:
        self.patterns = _compile(spec)
        self.step = 0

    def parse(self, line: str) -> list[tuple[str, float, int]]:
        """The ``(key, value, step)`` scalars in one line."""
        if self.patterns is None:
            m = _DEFAULT.match(line)
            if not m:
                return []
            key, sval, sstep = m.groups()
            val = _num(sval)
            if val is None:
                return []
            if key == "step":
                self.step = int(val)
                return []
            return [(key, val, int(sstep) if sstep else self.step)]
        found: list[tuple[str, float, int]] = []
        for name, rx in self.patterns:
            m = rx.search(line)
            if m:
                found += self._from_match(name, m)
        return found

    def _from_match(self, name: str | None, m: re.Match[str]) -> list[tuple[str, float, int]]:
        groups = m.groupdict()
        step = int(groups.get("step") or self.step)
        if name is not None:
            val = _num(m.group(1) if m.groups() else m.group(0))
            return [] if val is None else [(name, val, self.step)]
        if not groups:
            return []
        key = groups.get("key")
        if key and groups.get("value") is not None:
            val = _num(groups["value"])
            return [] if val is None else [(key, val, step)]
        out: list[tuple[str, float, int]] = []
        for k, v in groups.items():
            val = _num(v) if k != "step" and v is not None else None
            if val is not None:
                out.append((k, val, step))
        return out


def parse_lines(lines: list[str], spec: Any) -> dict[str, dict[str, Any]]:
    """Summaries (``series.Summary.as_dict``) of the scalars in ``lines``."""
    parser = OutputParser(spec)
    points = [(k, s, v, 0.0) for line in lines for k, v, s in parser.parse(line)]
    return {k: s.as_dict() for k, s in series.summarize(points).items()}


class SeriesTee:
    """Fed the run's output as it comes; appends its scalars to the run's series.

    ``feed`` only keeps the bytes: every ``FLUSH_EVERY_S`` or ``FLUSH_BYTES`` (and at the end)
    the complete lines so far are parsed at once and their scalars appended
    to the series, so ``runs info`` of a live run sees progress and the tee
    loop does not pay a parse and a write per line. A partial line waits for
    its end, per stream; values are timed when parsed (within that period).
    """

    def __init__(self, run_dir: Path, spec: Any, event_file: bool = True) -> None:
        self.parser = OutputParser(spec)
        self.writer = series.SeriesWriter(run_dir)
        self.writer.path.touch()
        self.chunks: dict[bool, list[bytes]] = {False: [], True: []}
        self.pending = {False: b"", True: b""}
        self.due = time.monotonic() + FLUSH_EVERY_S
        self.waiting = 0  # bytes fed since the last parse
        # The same scalars as an event file, a batch at a time (with the tensorboard extra):
        # written while the run runs, so its end has none to write.
        self.events = None
        if event_file and events.available():
            events.remove_own(run_dir / ".guild")
            self.events = events.EventWriter(run_dir / ".guild")
        self.events_done = self.events is not None  # every batch went to the event file
        self._points: list[series.Point] = []  # parsed, not yet in the event file
        self.accs: dict[str, series.Accumulator] = {}  # the series summed up as it comes
        self.complete = False  # closed, every value parsed and kept

    def feed(self, data: bytes, err: bool) -> None:
        self.chunks[err].append(data)
        self.waiting += len(data)
        if self.waiting >= FLUSH_BYTES or time.monotonic() >= self.due:
            self.process()

    def process(self, final: bool = False) -> None:
        """Parse what came, append its scalars and flush the series."""
        now = time.time()
        for err in (False, True):
            data = self.pending[err] + b"".join(self.chunks[err])
            self.chunks[err].clear()
            cut = len(data) if final else data.rfind(b"\n") + 1
            self.pending[err] = data[cut:]
            if not cut:
                continue
            if self.parser.patterns is None:
                self._default_lines(data[:cut].decode("utf-8", "replace"), now)
            else:
                self._lines(data[:cut], now)
        self.writer.flush()
        self._add_events()
        self.due = time.monotonic() + FLUSH_EVERY_S
        self.waiting = 0

    def _add_events(self) -> None:
        points, self._points = self._points, []
        series.accumulate(points, self.accs)
        if self.events is None or not points:
            return
        try:
            self.events.add(points)
        except Exception:  # noqa: BLE001 - a failing event file never fails the run: its end writes it
            self.events_done = False
            self._close_events()

    def _close_events(self) -> None:
        writer, self.events = self.events, None
        if writer is not None:
            writer.close()

    def _default_lines(self, text: str, now: float) -> None:
        """Every line of ``text`` at once, with the default ``KEY: VALUE`` pattern.

        The value goes to the series as printed (the pattern admits only
        what ``float`` reads, but for a sign before ``-inf``), the time once.
        """
        ts = f"{now:.3f}"
        t = float(ts)  # the event file's time, as the series keeps it
        step = self.parser.step
        lines: list[str] = []
        points = self._points
        for key, sval, sstep in _DEFAULT_LINES.findall(text):
            if not sval[-1].isdigit() and _num(sval) is None:
                continue
            if key == "step":
                step = int(float(sval))
            else:
                lines.append(f"{sstep or step}\t{sval}\t{ts}\t{key}\n")
                points.append((key, int(sstep) if sstep else step, float(sval), t))
        self.parser.step = step
        self.writer.add_lines(lines)

    def _lines(self, data: bytes, now: float) -> None:
        add = self.writer.add
        t = float(f"{now:.3f}")
        points = self._points
        for line in data.decode("utf-8", "replace").splitlines():
            for key, val, step in self.parser.parse(line):
                add(key, step, val, now)
                points.append((key, step, val, t))

    def close(self) -> None:
        try:
            self.process(final=True)
            self.complete = True
        finally:
            try:
                self.writer.close()
            finally:
                self._close_events()


def scalars_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / "scalars.json"


def _series_from_output(run_dir: Path, spec: Any) -> None:
    """A series for a run whose output was not teed (it never started, a pipeline)."""
    tee = SeriesTee(run_dir, spec, event_file=False)  # the end writes the event file
    try:
        with open(run_dir / ".guild" / "output", "rb") as f:
            tee.feed(f.read() + b"\n", False)
    except FileNotFoundError:
        pass
    finally:
        tee.close()


def capture(ctx: Context | None, run_dir: Path, spec: Any, tee: SeriesTee | None = None) -> dict[str, dict[str, Any]]:
    """At a run's end: its summary in ``.guild/scalars.json`` (output scalars, event
    files, a pipeline's steps), and its output scalars as an event file in ``.guild``.
    ``tee``, closed, is what saw the run's output: when it kept every value, its sums
    stand for the series and the event file it wrote for the run's."""
    if tee is not None and tee.complete:
        if events.available() and not tee.events_done:
            _write_event_file(run_dir, series.read(run_dir))
        summaries = run_scalars.compute(ctx, run_dir, own_accs=tee.accs)
        run_scalars.write_summary(run_dir, summaries)
        return {k: s.as_dict() for k, s in summaries.items()}
    if not series.has_series(run_dir):
        _series_from_output(run_dir, spec)
    own = series.read(run_dir)
    if events.available():
        _write_event_file(run_dir, own)
    summaries = run_scalars.compute(ctx, run_dir, own=own)
    run_scalars.write_summary(run_dir, summaries)
    return {k: s.as_dict() for k, s in summaries.items()}


def _write_event_file(run_dir: Path, points: list[series.Point]) -> None:
    guild_dir = run_dir / ".guild"
    events.remove_own(guild_dir)
    if points:
        events.write(guild_dir, points)


def read(run_dir: Path) -> dict[str, dict[str, Any]]:
    return {k: s.as_dict() for k, s in run_scalars.load(None, run_dir, finished=True).items()}
