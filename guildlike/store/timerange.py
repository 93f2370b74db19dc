"""Parse ``--started`` ranges, in Guild's forms.

``after DT``, ``before DT``, ``between DT and DT``; ``last N minutes|hours|days``
(also ``min``, ``hr``, and without N: ``last hour``); ``today``, ``yesterday``;
``this week|month|year``; ``N days|weeks ago`` (that day or week). DT is a date
(``YYYY-MM-DD``, ``YY-MM-DD``, ``MM-DD`` of this year) with an optional time,
or a time (``HH:MM[:SS]``, today).

A range becomes a half-open interval of whole seconds since the epoch,
``lo <= start < hi`` (either end may be open). Run start times are compared
with their fraction of a second dropped. Weeks start on Monday.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ..errors import RangeError

_HINT = "Try 'guildlike runs list --help' for help specifying time ranges."

_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_UNIT_WORDS = {
    "minutes": "minute", "minute": "minute", "min": "minute",
    "hours": "hour", "hour": "hour", "hr": "hour",
    "days": "day", "day": "day",
    "weeks": "week", "week": "week",
    "months": "month", "month": "month",
    "years": "year", "year": "year",
}
_KEYWORDS = sorted(
    set(_UNIT_WORDS) | {"today", "yesterday", "this", "last", "after", "before", "between", "and", "ago"},
    key=len, reverse=True,
)
# A word is read as the longest keyword it starts with, so that 'mins' is
# 'min' followed by an unexpected 's' (as Guild reads it).
_TOKEN = re.compile(
    r"(?P<date>(?:\d{4}-|\d{2}-)?\d{1,2}-\d{1,2}(?![\d:-]))"
    r"|(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?![\d:-]))"
    r"|(?P<num>\d+(?![\d:-]))"
    r"|(?P<word>(?i:" + "|".join(_KEYWORDS) + "))"
    r"|(?P<other>\S+)"
)
_SPACE = re.compile(r"\s*")


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
_MAX_DAYS = 1_100_000  # more days back than datetime (and _LIMIT) can hold


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


@dataclass(frozen=True)
class _Tok:
    text: str
    pos: int
    kind: str  # date, time, num, word, other, end

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def _tokens(spec: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = _SPACE.match(spec, 0).end()  # type: ignore[union-attr]
    while i < len(spec):
        m = _TOKEN.match(spec, i)
        assert m is not None and m.lastgroup is not None  # 'other' takes any non-space
        toks.append(_Tok(m.group(0), i, m.lastgroup))
        i = _SPACE.match(spec, m.end()).end()  # type: ignore[union-attr]
    toks.append(_Tok("<end>", len(spec), "end"))
    return toks


class _Parser:
    def __init__(self, spec: str, now: datetime.datetime) -> None:
        self.toks = _tokens(spec)
        self.i = 0
        self.now = now
        self.midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def fail(self, tok: _Tok | None = None) -> RangeError:
        tok = tok or self.peek()
        return _error(tok.text, tok.pos)

    def expect_word(self, *words: str) -> str:
        tok = self.take()
        if tok.word not in words:
            raise self.fail(tok)
        return tok.word

    def range(self) -> TimeRange:
        tok = self.peek()
        if tok.kind == "num":
            return self.ago()
        word = self.take().word
        if word in ("today", "yesterday"):
            start = self.midnight - datetime.timedelta(days=1 if word == "yesterday" else 0)
            return TimeRange(_stamp(start), _stamp(start + datetime.timedelta(days=1)))
        if word == "this":
            return self.this()
        if word == "last":
            return self.last()
        if word == "after":
            return TimeRange(_stamp(self.dt()), None)
        if word == "before":
            return TimeRange(None, _stamp(self.dt()))
        if word == "between":
            a = self.dt()
            self.expect_word("and")
            lo, hi = sorted((a, self.dt()))
            return TimeRange(_stamp(lo), _stamp(hi))
        raise self.fail(tok)

    def last(self) -> TimeRange:
        n = self.number() if self.peek().kind == "num" else 1
        tok = self.take()
        unit = _UNIT_WORDS.get(tok.word, "")
        if unit not in _UNITS:
            raise self.fail(tok)
        return TimeRange(_clamp(_stamp(self.now) - min(n, int(_LIMIT)) * _UNITS[unit]), None)

    def this(self) -> TimeRange:
        tok = self.take()
        if tok.word == "week":
            start = self.week_start(0)
            return TimeRange(_stamp(start), _stamp(start + datetime.timedelta(days=7)))
        if tok.word == "month":
            start = self.midnight.replace(day=1)
            end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(
                month=start.month + 1)
            return TimeRange(_stamp(start), _stamp(end))
        if tok.word == "year":
            start = self.midnight.replace(month=1, day=1)
            return TimeRange(_stamp(start), _stamp(start.replace(year=start.year + 1)))
        raise self.fail(tok)

    def ago(self) -> TimeRange:
        n = self.number()
        tok = self.take()
        unit = _UNIT_WORDS.get(tok.word, "")
        if unit not in ("day", "week"):
            raise self.fail(tok)
        self.expect_word("ago")
        days = 7 if unit == "week" else 1
        if n * days > _MAX_DAYS:
            return TimeRange(-_LIMIT, -_LIMIT)  # before any time a run can have
        start = self.week_start(n) if unit == "week" else self.midnight - datetime.timedelta(days=n)
        return TimeRange(_stamp(start), _stamp(start + datetime.timedelta(days=days)))

    def week_start(self, weeks_back: int) -> datetime.datetime:
        return self.midnight - datetime.timedelta(days=self.midnight.weekday() + 7 * weeks_back)

    def number(self) -> int:
        text = self.take().text
        return int(text) if len(text) < 20 else int(_LIMIT)

    def dt(self) -> datetime.datetime:
        tok = self.take()
        if tok.kind == "date":
            date = self.date(tok)
            if self.peek().kind == "time":
                t = _parse_time(self.take())
                return date.replace(hour=t.hour, minute=t.minute, second=t.second)
            return date
        if tok.kind == "time":
            t = _parse_time(tok)
            return self.now.replace(hour=t.hour, minute=t.minute, second=t.second, microsecond=0)
        raise self.fail(tok)

    def date(self, tok: _Tok) -> datetime.datetime:
        parts = tok.text.split("-")
        if len(parts) == 2:
            parts.insert(0, str(self.now.year))
        elif len(parts[0]) == 2:
            parts[0] = str(self.now.year // 100) + parts[0]
        try:
            return datetime.datetime(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            raise self.fail(tok) from None


def _parse_time(tok: _Tok) -> datetime.time:
    fmt = "%H:%M:%S" if tok.text.count(":") == 2 else "%H:%M"
    try:
        return datetime.datetime.strptime(tok.text, fmt).time()
    except ValueError:
        raise _error(tok.text, tok.pos) from None


def parse(spec: str, now: datetime.datetime | None = None) -> TimeRange:
    p = _Parser(spec, now or datetime.datetime.now())
    rng = p.range()
    if p.peek().kind != "end":
        raise p.fail()
    return rng
