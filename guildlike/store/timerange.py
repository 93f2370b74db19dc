"""Parse ``--started`` ranges: ``after DT``, ``before DT``, ``between DT and DT``,
``last N minutes|hours|days``, ``today``, ``yesterday``.

A range becomes a half-open interval of whole seconds since the epoch,
``lo <= start < hi`` (either end may be open). Run start times are compared
with their fraction of a second dropped.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ..errors import RangeError

_HINT = "Try 'guildlike runs list --help' for help specifying time ranges."

_UNITS = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}

_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}$")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}(:\d{2})?$")


@dataclass(frozen=True)
class TimeRange:
    lo: float | None  # inclusive, seconds since epoch
    hi: float | None  # exclusive

    def contains_us(self, started_us: int | None) -> bool:
        if not started_us:
            return False
        s = started_us // 1_000_000
        if self.lo is not None and s < self.lo:
            return False
        if self.hi is not None and s >= self.hi:
            return False
        return True


# Bounds are kept within about +-3000 years of the epoch: times beyond
# select the same runs (none or all), and stay representable everywhere
# (floats, SQLite integers of microseconds).
_LIMIT = 1e11


def _clamp(ts: float) -> float:
    return max(-_LIMIT, min(_LIMIT, ts))


def _stamp(dt: datetime.datetime) -> float:
    """Seconds since the epoch of a local time, for any year datetime takes."""
    try:
        return _clamp(dt.timestamp())
    except (OverflowError, ValueError, OSError):
        return -_LIMIT if dt.year < 1970 else _LIMIT


def _error(token: str, pos: int) -> RangeError:
    return RangeError(f"invalid RANGE: unexpected '{token}' at position {pos}", [_HINT])


def _tokens(spec: str) -> list[tuple[str, int]]:
    return [(m.group(0), m.start()) for m in re.finditer(r"\S+", spec)]


def _word(toks: list[tuple[str, int]], i: int) -> str:
    return toks[i][0].lower() if i < len(toks) else ""


def _parse_dt(
    toks: list[tuple[str, int]], i: int, now: datetime.datetime, end_pos: int
) -> tuple[datetime.datetime, int]:
    if i >= len(toks):
        raise _error("<end>", end_pos)
    tok, pos = toks[i]
    if _DATE_RE.match(tok):
        try:
            date = datetime.datetime.strptime(tok, "%Y-%m-%d")
        except ValueError:
            raise _error(tok, pos) from None
        if i + 1 < len(toks) and _TIME_RE.match(toks[i + 1][0]):
            t = _parse_time(*toks[i + 1])
            return date.replace(hour=t.hour, minute=t.minute, second=t.second), i + 2
        return date, i + 1
    if _TIME_RE.match(tok):
        t = _parse_time(tok, pos)
        return now.replace(hour=t.hour, minute=t.minute, second=t.second, microsecond=0), i + 1
    raise _error(tok, pos)


def _parse_time(tok: str, pos: int) -> datetime.time:
    fmt = "%H:%M:%S" if tok.count(":") == 2 else "%H:%M"
    try:
        return datetime.datetime.strptime(tok, fmt).time()
    except ValueError:
        raise _error(tok, pos) from None


def parse(spec: str, now: datetime.datetime | None = None) -> TimeRange:
    now = now or datetime.datetime.now()
    toks = _tokens(spec)
    end = len(spec)
    if not toks:
        raise _error("<end>", 0)
    word, pos = toks[0][0].lower(), toks[0][1]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "today":
        rng, i = TimeRange(_stamp(midnight), _stamp(midnight + datetime.timedelta(days=1))), 1
    elif word == "yesterday":
        y = midnight - datetime.timedelta(days=1)
        rng, i = TimeRange(_stamp(y), _stamp(midnight)), 1
    elif word == "after":
        dt, i = _parse_dt(toks, 1, now, end)
        rng = TimeRange(_stamp(dt), None)
    elif word == "before":
        dt, i = _parse_dt(toks, 1, now, end)
        rng = TimeRange(None, _stamp(dt))
    elif word == "between":
        a, i = _parse_dt(toks, 1, now, end)
        if _word(toks, i) != "and":
            raise _error(toks[i][0] if i < len(toks) else "<end>", toks[i][1] if i < len(toks) else end)
        b, i = _parse_dt(toks, i + 1, now, end)
        lo, hi = sorted((a, b))
        rng = TimeRange(_stamp(lo), _stamp(hi))
    elif word == "last":
        n = 1
        i = 1
        if i < len(toks) and toks[i][0].isascii() and toks[i][0].isdigit():
            n = int(toks[i][0]) if len(toks[i][0]) < 20 else int(_LIMIT)
            i += 1
        if i >= len(toks):
            raise _error("<end>", end)
        unit, upos = toks[i]
        if unit.lower() not in _UNITS:
            raise _error(unit, upos)
        i += 1
        rng = TimeRange(_clamp(_stamp(now) - min(n, int(_LIMIT)) * _UNITS[unit.lower()]), None)
    else:
        raise _error(toks[0][0], pos)
    if i < len(toks):
        raise _error(*toks[i])
    return rng
