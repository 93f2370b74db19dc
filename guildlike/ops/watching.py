"""Following a run's output as it is written (``guildlike watch``).

A run's output is its ``.guild/output`` (a pipeline's holds its steps'
output too). A batch, which has no output of its own, shows the output of
its trials that ran in its current attempt, each in full, in the order they
started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ..store import links, status
from ..store.run import Run

POLL_S = 0.1
_CHUNK = 65536


class _Tail:
    """Reads what was added to one file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self) -> bytes:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(_CHUNK)
        except OSError:
            return b""
        self.offset += len(data)
        return data


def _children(run: Run) -> list[Run]:
    """The steps or trials that started in the run's current attempt, in the order they started."""
    since = run.get("started") or 0
    found = []
    for child_id in links.linked_ids(run.path):
        child = Run(child_id, run.path.parent / child_id)
        started = child.get("started")
        if isinstance(started, int) and started >= since:
            found.append((started, child))
    return [c for _, c in sorted(found, key=lambda item: item[0])]


class Follower:
    """What is new in a run's output (or its children's) at each call of ``poll``."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._own = _Tail(run.guild_dir / "output")
        self._tails: dict[str, _Tail] = {}

    def _sources(self) -> list[_Tail]:
        if os.path.exists(self._own.path) or not links.linked_ids(self.run.path):
            return [self._own]
        self.run.invalidate()
        tails = []
        for child in _children(self.run):
            if child.id not in self._tails:
                self._tails[child.id] = _Tail(child.guild_dir / "output")
            tails.append(self._tails[child.id])
        return tails

    def drain(self, write: Callable[[bytes], None]) -> None:
        """Write what is new in each source, the sources in the order their runs started."""
        for tail in self._sources():
            while True:
                data = tail.read()
                if not data:
                    break
                write(data)


def is_running(run: Run) -> bool:
    run.invalidate()
    return run.status == status.RUNNING


def follow(run: Run, write: Callable[[bytes], None], poll_s: float = POLL_S) -> str:
    """Write the run's output so far, then as it comes until the run stops; the run's status then."""
    follower = Follower(run)
    while True:
        running = is_running(run)
        follower.drain(write)
        if not running:
            break
        time.sleep(poll_s)
    run.invalidate()
    return run.status
