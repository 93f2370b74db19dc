"""Resolving run arguments: an index into the filtered list, an id prefix, or a slice."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import AmbiguousRun, RunNotFound
from .run import Run

_SLICE_RE = re.compile(r"^(\d*):(\d*)$", re.ASCII)


def not_found(spec: str, help_cmd: str | None, deleted: bool = False) -> RunNotFound:
    listing = "guildlike runs list -d" if deleted else "guildlike runs list"
    if help_cmd:
        hint = f"Try '{listing}' for a list or 'guildlike {help_cmd} --help' for more information."
    else:
        hint = f"Try '{listing}' for a list."
    return RunNotFound(f"could not find a run matching '{spec}'", [hint])


def select_one(runs: Sequence[Run], spec: str | None, help_cmd: str | None = "select") -> Run:
    """One run from ``runs`` (newest first) for ``spec``; the latest when spec is None."""
    if spec is None:
        if not runs:
            raise RunNotFound("no matching runs")
        return runs[0]
    found = select_many(runs, [spec], help_cmd)
    if len(found) > 1:
        raise ambiguous(spec, found)
    return found[0]


def ambiguous(spec: str, found: Sequence[Run]) -> AmbiguousRun:
    return AmbiguousRun(f"'{spec}' matches multiple runs:", [f"  {r.short_id}" for r in found])


def select_many(
    runs: Sequence[Run], specs: Sequence[str], help_cmd: str | None = "select", deleted: bool = False
) -> list[Run]:
    """Runs for each spec, in the order given, without duplicates (``deleted``: the runs are the trash's)."""
    selected: list[Run] = []
    seen: set[str] = set()
    for spec in specs:
        matches = _match(runs, spec)
        if not matches:
            raise not_found(spec, help_cmd, deleted)
        if len(matches) > 1 and not _SLICE_RE.match(spec):
            raise ambiguous(spec, matches)
        for run in matches:
            if run.id not in seen:
                seen.add(run.id)
                selected.append(run)
    return selected


def _match(runs: Sequence[Run], spec: str) -> list[Run]:
    ids = getattr(runs, "ids", None)  # an index RunList knows its ids without reading rows
    if ids is None:
        ids = [r.id for r in runs]
    if spec.isascii() and spec.isdigit():  # not '²', which int() refuses
        # A number is an index, never an id prefix (only a whole id made of digits).
        i = int(spec)
        if 1 <= i <= len(runs):
            return [runs[i - 1]]
        return [runs[i] for i, rid in enumerate(ids) if rid == spec]
    m = _SLICE_RE.match(spec)
    if m and spec != ":":
        start = int(m.group(1) or 1)
        stop = int(m.group(2) or len(runs))
        return list(runs[max(start, 1) - 1 : stop])
    exact = [i for i, rid in enumerate(ids) if rid == spec]
    if not exact:
        exact = [i for i, rid in enumerate(ids) if rid.startswith(spec)]
    return [runs[i] for i in exact]
