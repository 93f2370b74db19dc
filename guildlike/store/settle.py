"""Attempts left open: a run's last attempt says ``running`` after the process
that ran it died (killed with SIGKILL, a full disk while its end was written).

The run's status, derived from its files, is right; the attempt record is
read as that status (``runs log``) and written so by ``check``.
"""

from __future__ import annotations

from typing import Any

from . import status
from .run import Run


def settled_attempts(run: Run) -> tuple[list[Any], bool]:
    """The run's attempts with an open last attempt given the run's status;
    True when that changed anything."""
    attempts = list(run.get("attempts") or [])
    if not attempts or not isinstance(attempts[-1], dict):
        return attempts, False
    last = attempts[-1]
    st = run.status
    if last.get("status") != status.RUNNING or st in (status.RUNNING, status.PENDING):
        return attempts, False
    attempts[-1] = dict(last, status=st, exit_status=run.get("exit_status"))
    return attempts, True


def settle(run: Run, repair: bool) -> str | None:
    """What is wrong with the run's last attempt (None when nothing), written right with ``repair``."""
    attempts, changed = settled_attempts(run)
    if not changed:
        return None
    what = f"attempt {len(attempts)} is recorded as running but the run is {attempts[-1]['status']}"
    if repair:
        run.set("attempts", attempts)
    return what
