"""Time stamps: integer microseconds since the epoch, shown as local time."""

from __future__ import annotations

import datetime
import time


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


def us_to_datetime(us: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(us / 1e6)


def datetime_to_us(dt: datetime.datetime) -> int:
    return int(dt.timestamp() * 1_000_000)
