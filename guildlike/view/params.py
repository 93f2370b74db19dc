"""The query of a request: typed values, and ``BadRequest`` (400) for bad ones."""

from __future__ import annotations

from urllib.parse import parse_qs

from ..errors import BadRequest, RangeError
from ..store import timerange
from ..store.filters import RunFilter

STATUSES = ("running", "completed", "error", "terminated", "staged", "pending")


class Query:
    def __init__(self, text: str) -> None:
        try:
            self.values = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=5000)
        except ValueError as e:
            raise BadRequest(400, f"bad query: {e}") from None

    def many(self, name: str) -> list[str]:
        """Every value of ``name``; a value may also hold several, comma-separated."""
        out: list[str] = []
        for v in self.values.get(name, []):
            out += [p for p in v.split(",") if p]
        return out

    def one(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[-1] if found else default

    def number(self, name: str, default: int, lo: int, hi: int) -> int:
        text = self.one(name)
        if not text:
            return default
        try:
            value = int(text)
        except ValueError:
            raise BadRequest(400, f"{name} must be a whole number, not {text!r}") from None
        if not lo <= value <= hi:
            raise BadRequest(400, f"{name} must be from {lo} to {hi}, not {value}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        text = self.one(name).lower()
        if not text:
            return default
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise BadRequest(400, f"{name} must be 1 or 0, not {text!r}")

    def run_filter(self) -> RunFilter:
        """The filters of ``guildlike runs``: op, label, tag, status (several), started (a RANGE)."""
        statuses = set(self.many("status"))
        bad = sorted(statuses - set(STATUSES))
        if bad:
            raise BadRequest(400, f"unknown status {bad[0]!r}: use one of {', '.join(STATUSES)}")
        flt = RunFilter(ops=self.many("op"), labels=self.many("label"), tags=self.many("tag"), statuses=statuses)
        started = self.one("started")
        if started:
            try:
                flt.started = timerange.parse(started)
            except RangeError as e:
                raise BadRequest(400, e.message) from None
        return flt
