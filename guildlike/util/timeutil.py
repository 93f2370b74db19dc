"""Time stamps: integer microseconds since the epoch, shown as local time."""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from typing import Any


def now_us() -> int:
    return time.time_ns() // 1000


def format_us(us: int | None) -> str:
    """A time in microseconds as local time; empty when absent or not a time."""
    if not us or not isinstance(us, (int, float)) or isinstance(us, bool):
        return ""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us // 1_000_000))
    except (OverflowError, ValueError, OSError):
        return ""


def format_many(times: Sequence[Any]) -> list[str]:
    """``format_us`` of each time, faster for many (a table's column): the local
    time of each hour is worked out once, where that hour keeps one UTC offset
    and starts on a whole local hour; other times are formatted one by one."""
    hours: dict[int, str] = {}
    out: list[str] = []
    for us in times:
        if type(us) is not int or us <= 0:  # (not bool: its type is bool)
            out.append(format_us(us))
            continue
        secs = us // 1_000_000
        hour = secs - secs % 3600
        base = hours.get(hour)
        if base is None:
            base = hours[hour] = _hour_prefix(hour)
        if base:
            rest = secs - hour
            out.append(f"{base}{rest // 60:02d}:{rest % 60:02d}")
        else:
            out.append(format_us(us))
    return out


def _hour_prefix(hour: int) -> str:
    """``YYYY-mm-dd HH:`` of the UTC hour starting at ``hour`` (seconds) in local
    time, when the hour starts on a whole local hour and keeps one UTC offset
    throughout; else empty."""
    try:
        start, end = time.localtime(hour), time.localtime(hour + 3599)
    except (OverflowError, ValueError, OSError):
        return ""
    if start.tm_min or start.tm_sec or start.tm_gmtoff != end.tm_gmtoff or start.tm_isdst != end.tm_isdst:
        return ""
    return time.strftime("%Y-%m-%d %H:", start)


def us_to_datetime(us: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(us / 1e6)


def datetime_to_us(dt: datetime.datetime) -> int:
    return int(dt.timestamp() * 1_000_000)
