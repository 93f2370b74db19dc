"""Time stamps: integer microseconds since the epoch, shown as local time."""

from __future__ import annotations

import datetime
import time


def now_us() -> int:
    return time.time_ns() // 1000


def format_us(us: int | None) -> str:
    if not us:
        return ""
    return datetime.datetime.fromtimestamp(us / 1e6).strftime("%Y-%m-%d %H:%M:%S")


def us_to_datetime(us: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(us / 1e6)


def datetime_to_us(dt: datetime.datetime) -> int:
    return int(dt.timestamp() * 1_000_000)
