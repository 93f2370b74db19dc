"""Run filters: whole-name operation matching and ``--started`` ranges."""

from __future__ import annotations

import datetime as dt

import pytest

from guildlike.store import timerange
from guildlike.store.filters import op_matches
from guildlike.store.timerange import TimeRange


@pytest.mark.parametrize(
    "pattern, op, expected",
    [
        ("train", "train", True),
        ("emit", "alpha:emit", True),
        ("alpha:emit", "alpha:emit", True),
        ("beta:emit", "alpha:emit", False),
        ("alpha", "alpha:emit", False),
        ("wei", "weigh", False),
        ("weigh", "weight", False),
        ("weight", "weigh", False),
        ("mit", "alpha:emit", False),
        ("train.py", "train.py", True),
        ("train", "train.py", False),
        ("e*", "alpha:emit", True),
        ("alpha:*", "alpha:emit", True),
        ("*:emit", "beta:emit", True),
        ("w?igh", "weigh", True),
        ("t*", "weigh", False),
        ("^we", "weigh", True),
        ("gh$", "weigh", True),
        ("^emit$", "alpha:emit", True),
        ("^alpha$", "alpha:emit", False),
        ("^[", "weigh", False),
        ("", "weigh", False),
    ],
)
def test_op_matches(pattern: str, op: str, expected: bool) -> None:
    assert op_matches(pattern, op) is expected


NOW = dt.datetime(2026, 11, 21, 10, 30, 15, 250000)


def ts(*args: int) -> float:
    return dt.datetime(*args).timestamp()


def us(*args: int, micro: int = 0) -> int:
    return int(ts(*args) * 1_000_000) + micro


def test_after_is_inclusive_and_drops_fractions() -> None:
    rng = timerange.parse("after 2026-11-21 10:00:04", NOW)
    assert rng == TimeRange(ts(2026, 11, 21, 10, 0, 4), None)
    assert rng.contains_us(us(2026, 11, 21, 10, 0, 4))
    assert rng.contains_us(us(2026, 11, 21, 10, 0, 4, micro=700000))
    assert not rng.contains_us(us(2026, 11, 21, 10, 0, 3, micro=999999))


def test_before_is_exclusive() -> None:
    rng = timerange.parse("before 2026-11-21 10:00:04", NOW)
    assert rng == TimeRange(None, ts(2026, 11, 21, 10, 0, 4))
    assert rng.contains_us(us(2026, 11, 21, 10, 0, 3, micro=999999))
    # 10:00:04.7 is not before 10:00:04: the fraction is dropped.
    assert not rng.contains_us(us(2026, 11, 21, 10, 0, 4, micro=700000))


def test_between_is_half_open_and_sorted() -> None:
    rng = timerange.parse("between 2026-11-21 10:00 and 2026-11-21 11:00", NOW)
    assert rng == TimeRange(ts(2026, 11, 21, 10, 0), ts(2026, 11, 21, 11, 0))
    assert rng.contains_us(us(2026, 11, 21, 10, 0))
    assert not rng.contains_us(us(2026, 11, 21, 11, 0))
    assert timerange.parse("between 2026-11-21 11:00 and 2026-11-21 10:00", NOW) == rng


def test_dates_and_times() -> None:
    assert timerange.parse("after 2026-11-20", NOW).lo == ts(2026, 11, 20)
    assert timerange.parse("after 2026-11-20 09:15", NOW).lo == ts(2026, 11, 20, 9, 15)
    # A time alone is today's.
    assert timerange.parse("after 09:15", NOW).lo == ts(2026, 11, 21, 9, 15)
    assert timerange.parse("before 09:15:30", NOW).hi == ts(2026, 11, 21, 9, 15, 30)
    assert timerange.parse("between 09:00 and 10:00", NOW) == TimeRange(
        ts(2026, 11, 21, 9), ts(2026, 11, 21, 10)
    )


def test_last() -> None:
    now = NOW.timestamp()
    assert timerange.parse("last 5 minutes", NOW).lo == now - 300
    assert timerange.parse("last minute", NOW).lo == now - 60
    assert timerange.parse("last 1 minute", NOW).lo == now - 60
    assert timerange.parse("last 2 hours", NOW).lo == now - 7200
    assert timerange.parse("last 3 days", NOW).lo == now - 3 * 86400
    assert timerange.parse("last 2 hours", NOW).hi is None


def test_today_and_yesterday() -> None:
    assert timerange.parse("today", NOW) == TimeRange(ts(2026, 11, 21), ts(2026, 11, 22))
    assert timerange.parse("yesterday", NOW) == TimeRange(ts(2026, 11, 20), ts(2026, 11, 21))
    # Across a month boundary.
    first = dt.datetime(2026, 12, 1, 0, 0, 1)
    assert timerange.parse("yesterday", first) == TimeRange(ts(2026, 11, 30), ts(2026, 12, 1))


def test_words_are_case_insensitive() -> None:
    assert timerange.parse("AFTER 09:15", NOW) == timerange.parse("after 09:15", NOW)
    assert timerange.parse("Last 2 Hours", NOW) == timerange.parse("last 2 hours", NOW)
    assert timerange.parse("between 09:00 AND 10:00", NOW).hi == ts(2026, 11, 21, 10)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("sometime", "unexpected 'sometime' at position 0"),
        ("Sometime", "unexpected 'Sometime' at position 0"),
        ("", "unexpected '<end>' at position 0"),
        ("after", "unexpected '<end>' at position 5"),
        ("after tomorrow", "unexpected 'tomorrow' at position 6"),
        ("after 2026-13-01", "unexpected '2026-13-01' at position 6"),
        ("after 2026-11-21 25:00", "unexpected '25:00' at position 17"),
        ("after 2026-11-21 10", "unexpected '10' at position 17"),
        ("between 10:00 or 11:00", "unexpected 'or' at position 14"),
        ("between 10:00", "unexpected '<end>' at position 13"),
        ("between 10:00 and", "unexpected '<end>' at position 17"),
        ("last", "unexpected '<end>' at position 4"),
        ("last 5", "unexpected '<end>' at position 6"),
        ("last 3 weeks", "unexpected 'weeks' at position 7"),
        ("today please", "unexpected 'please' at position 6"),
    ],
)
def test_bad_ranges(spec: str, message: str) -> None:
    with pytest.raises(timerange.RangeError) as e:
        timerange.parse(spec, NOW)
    assert e.value.message == f"invalid RANGE: {message}"
    assert e.value.hints == ["Try 'guildlike runs list --help' for help specifying time ranges."]
    assert e.value.exit_code == 1


def test_no_start_time_is_never_in_range() -> None:
    assert not TimeRange(None, None).contains_us(None)
    assert not TimeRange(None, None).contains_us(0)
    assert TimeRange(None, None).contains_us(1)


def test_guild_short_units() -> None:
    now = NOW.timestamp()
    assert timerange.parse("last 2 min", NOW).lo == now - 120
    assert timerange.parse("last 2 hr", NOW).lo == now - 7200
    assert timerange.parse("last hour", NOW).lo == now - 3600
    assert timerange.parse("last day", NOW).lo == now - 86400


def test_this_week_month_year() -> None:
    # NOW is Saturday 2026-11-21; weeks start on Monday.
    assert timerange.parse("this week", NOW) == TimeRange(ts(2026, 11, 16), ts(2026, 11, 23))
    assert timerange.parse("this month", NOW) == TimeRange(ts(2026, 11, 1), ts(2026, 12, 1))
    assert timerange.parse("This Year", NOW) == TimeRange(ts(2026, 1, 1), ts(2027, 1, 1))
    december = dt.datetime(2026, 12, 5, 8, 0)
    assert timerange.parse("this month", december) == TimeRange(ts(2026, 12, 1), ts(2027, 1, 1))


def test_days_and_weeks_ago_are_that_day_or_week() -> None:
    assert timerange.parse("2 days ago", NOW) == TimeRange(ts(2026, 11, 19), ts(2026, 11, 20))
    assert timerange.parse("1 day ago", NOW) == timerange.parse("yesterday", NOW)
    assert timerange.parse("1 week ago", NOW) == TimeRange(ts(2026, 11, 9), ts(2026, 11, 16))
    assert timerange.parse("3 weeks ago", NOW) == TimeRange(ts(2026, 10, 26), ts(2026, 11, 2))
    # Far beyond any date: selects nothing, no overflow.
    far = timerange.parse("99999999999999999999 days ago", NOW)
    assert far.lo == far.hi and far.hi is not None and far.hi <= -1e11


def test_short_dates() -> None:
    assert timerange.parse("after 12-01", NOW).lo == ts(2026, 12, 1)
    assert timerange.parse("after 26-12-01 23:00", NOW).lo == ts(2026, 12, 1, 23)
    assert timerange.parse("after 2026-12-01", NOW).lo == ts(2026, 12, 1)
    assert timerange.parse("between 11-01 and 11-21 10:00", NOW) == TimeRange(ts(2026, 11, 1), ts(2026, 11, 21, 10))


@pytest.mark.parametrize(
    "spec, message",
    [
        ("last 2 mins", "unexpected 's' at position 10"),
        ("last 3 d", "unexpected 'd' at position 7"),
        ("last week", "unexpected 'week' at position 5"),
        ("this day", "unexpected 'day' at position 5"),
        ("this", "unexpected '<end>' at position 4"),
        ("2 hours ago", "unexpected 'hours' at position 2"),
        ("2 days", "unexpected '<end>' at position 6"),
        ("after 13-01", "unexpected '13-01' at position 6"),
        ("after 2026-12-011", "unexpected '2026-12-011' at position 6"),
    ],
)
def test_guild_forms_refused(spec: str, message: str) -> None:
    with pytest.raises(timerange.RangeError) as e:
        timerange.parse(spec, NOW)
    assert e.value.message == f"invalid RANGE: {message}"
