"""Local times of many runs at once (``format_many``) are those of ``format_us``, in
time zones with daylight saving, half and quarter hours, and around their changes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guildlike.util.timeutil import _hour_prefix, format_many, format_us

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"]

# Around daylight-saving changes of the zones above (2026), and the epoch.
CHANGES_S = [1772949600, 1774746000, 1775318400, 1791936000, 1792645200, 0]


@contextmanager
def _in_zone(name: str) -> Iterator[None]:
    """The process's local time zone set to ``name`` (``TZ``), then put back."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest) -> Iterator[str]:
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    with _in_zone(request.param):
        yield request.param


def test_each_second_around_the_changes(zone: str) -> None:
    times = [(c + d) * 1_000_000 + 123 for c in CHANGES_S for d in range(-3 * 3600, 3 * 3600, 7)]
    assert format_many(times) == [format_us(t) for t in times]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.integers(min_value=-10**17, max_value=10**17),
    st.sampled_from([None, 0, True, False, 1.5e15, "x"]),
), max_size=40))
def test_any_values(values: list[object]) -> None:
    for name in ZONES:
        with _in_zone(name):
            assert format_many(values) == [format_us(v) for v in values]


def test_whole_hour_zones_take_the_fast_path(zone: str) -> None:
    """The hour's prefix is worked out once where the zone allows it (else each time
    is formatted alone: the tests above would pass without any fast path)."""
    hour = 1_749_945_600  # 2025-06-15 00:00 UTC (Lord Howe on +10:30 then)
    prefix = _hour_prefix(hour)
    if zone in ("Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"):
        assert prefix == ""  # then the hour starts at :30 or :45 local
    else:
        assert prefix == time.strftime("%Y-%m-%d %H:", time.localtime(hour))
