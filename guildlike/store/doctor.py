"""``check``: the index against the directories, and damaged runs.

What can be repaired is: the index (rebuilt from the directories) and stale
``LOCK`` files of dead processes. A damaged run (missing or corrupt
attribute files, no ``.guild`` folder, step links leaving the home or
looping) is reported and left as it is: nothing is changed that cannot be
explained.
"""

from __future__ import annotations

import os
from pathlib import Path
from dataclasses import dataclass, field

from ..context import Context
from ..errors import RunStoreError
from . import attrs as attrs_mod
from . import index, status
from .store import _scan


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    unrepaired: int = 0


def _check_run(ctx: Context, run_dir: str) -> list[str]:
    problems = []
    gdir = os.path.join(run_dir, ".guild")
    if not os.path.isdir(gdir):
        return ["no .guild folder (not a run directory?)"]
    if not os.path.exists(os.path.join(gdir, "opref")):
        problems.append("missing .guild/opref")
    for name in attrs_mod.names(Path(run_dir)):
        try:
            attrs_mod.read(Path(run_dir), name)
        except RunStoreError as e:
            problems.append(e.message)
    home = os.path.realpath(ctx.home)
    for entry in os.scandir(run_dir):
        if entry.is_symlink():
            try:
                target = os.path.realpath(entry.path, strict=True)
            except OSError as e:
                if "loop" in str(e).lower() or getattr(e, "errno", 0) == 40:
                    problems.append(f"link {entry.name} loops")
                continue
            if os.path.isdir(target) and not (target + os.sep).startswith(home + os.sep):
                problems.append(f"link {entry.name} points outside the home: {target}")
    return problems


def check(ctx: Context, repair: bool) -> Report:
    rep = Report()
    for line in index.check(ctx, repair):
        rep.lines.append(("repaired: " if repair else "") + line)
        if not repair:
            rep.unrepaired += 1
    for run in _scan(ctx.runs_dir):
        for problem in _check_run(ctx, str(run.path)):
            rep.lines.append(f"run {run.id}: {problem}")
            rep.unrepaired += 1
        lock = status.read_lock(run.path)
        if lock is not None and not status.lock_pid_alive(lock):
            if repair:
                status.remove_lock(run.path)
                rep.lines.append(f"repaired: run {run.id}: removed stale LOCK of dead process {lock[0]}")
            else:
                rep.lines.append(f"run {run.id}: stale LOCK of dead process {lock[0]}")
                rep.unrepaired += 1
    if not rep.lines:
        rep.lines.append("No problems found.")
    return rep
