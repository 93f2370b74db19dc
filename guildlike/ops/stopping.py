"""Stopping running runs: SIGTERM, then SIGKILL once a grace period has passed.

The process a run's ``LOCK`` names is the one signalled, wherever it runs
(in the background, or in the foreground of another terminal):

- an op run's LOCK names the op's process, which guildlike started in a
  process group of its own: the group gets the signal, and the guildlike
  process that waits for it records the run ``terminated`` (-15 or -9);
- a pipeline's or a batch's LOCK names the guildlike process running it:
  that process alone gets SIGTERM, passes it on to the step or trial that
  runs, and records both ``terminated``. If they have not ended when the
  grace period is over, the op processes still running under the run get
  SIGKILL, and so does, last, the guildlike process itself.

A process on another host (its LOCK names that host) cannot be signalled
from here: the run gets a stop marker instead (``store.liveness``), and the
side that runs it there stops it the same way (SIGTERM, SIGKILL once the
timeout has passed) and records it ``terminated``.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ..store import links, liveness, status
from ..store.run import Run

DEFAULT_TIMEOUT_S = 10.0
_LAST_GRACE_S = 5.0  # after SIGKILL to the op processes, for their ends to be recorded
_POLL_S = 0.1


@dataclass
class Target:
    run: Run
    pid: int
    host: str = ""  # the other host the process runs on ("" when it runs on this one)


def _running_lock(run: Run) -> status.Lock | None:
    lock = status.read_lock(run.path)
    if lock is None or lock.pid <= 0 or not status.lock_pid_alive(lock):
        return None
    return lock


def running_pid(run: Run) -> int | None:
    """The pid of the process running ``run`` (its LOCK's), None when it is not running."""
    lock = _running_lock(run)
    return None if lock is None else lock.pid


def _target(run: Run) -> Target | None:
    lock = _running_lock(run)
    if lock is None:
        return None
    return Target(run, lock.pid, lock.host if lock.remote else "")


def targets(runs: list[Run]) -> tuple[list[Target], list[Run]]:
    """(the runs that are running, with their pids; the runs that are not)."""
    found: list[Target] = []
    idle: list[Run] = []
    for run in runs:
        run.invalidate()
        target = _target(run) if run.get("exit_status") is None else None
        if target is None:
            idle.append(run)
        else:
            found.append(target)
    return found, idle


def _runs_children(run: Run) -> bool:
    """True when the run's LOCK names a guildlike process (a pipeline or a batch)."""
    return run.is_pipeline() or run.is_batch()


def _signal(pid: int, sig: int, group: bool) -> None:
    try:
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _is_running(run: Run) -> bool:
    run.invalidate()
    return run.get("exit_status") is None and running_pid(run) is not None


def _wait(runs: list[Run], timeout: float) -> list[Run]:
    """The runs still running once all have ended or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    left = [r for r in runs if _is_running(r)]
    while left and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        left = [r for r in left if _is_running(r)]
    return left


def _running_ops_under(run: Run, seen: set[str] | None = None) -> Iterator[Target]:
    """The op runs running under ``run`` (its steps, trials, theirs...), with their pids."""
    seen = seen if seen is not None else {run.id}
    for child_id in links.linked_ids(run.path):
        if child_id in seen:
            continue
        seen.add(child_id)
        child = Run(child_id, run.path.parent / child_id)
        target = _target(child)
        if target is None:
            continue
        if _runs_children(child):
            yield from _running_ops_under(child, seen)
        else:
            yield target


def _ancestors(run: Run) -> Iterator[str]:
    """The ids of the pipeline or batch that runs ``run``, of the one that runs that..."""
    seen = {run.id}
    parent = run.get("parent")
    while isinstance(parent, str) and parent and parent not in seen:
        seen.add(parent)
        yield parent
        parent = Run(parent, run.path.parent / parent).get("parent")


def stop(found: list[Target], timeout: float = DEFAULT_TIMEOUT_S) -> list[Run]:
    """Stop the ``found`` runs; the runs that were still running at the end (none, normally).

    A step or trial whose pipeline or batch is stopped too gets no signal of
    its own: its parent passes the one it gets on and records both ends.
    """
    ids = {t.run.id for t in found}
    for t in found:
        if any(a in ids for a in _ancestors(t.run)):
            continue
        if t.host:
            liveness.request_stop(t.run.path, timeout)
        else:
            _signal(t.pid, signal.SIGTERM, group=not _runs_children(t.run))
    left = _wait([t.run for t in found], timeout)
    if not left:
        return []
    # Processes on other hosts are stopped there (SIGKILL after the same timeout).
    here = {t.run.id: t.pid for t in found if not t.host}
    for run in left:
        if run.id not in here:
            continue
        if _runs_children(run):
            for op in _running_ops_under(run):
                if not op.host:
                    _signal(op.pid, signal.SIGKILL, group=True)
        else:
            _signal(here[run.id], signal.SIGKILL, group=True)
    left = _wait(left, _LAST_GRACE_S)
    for run in left:  # a guildlike process that does not end: its run will show as error
        if run.id in here:
            _signal(here[run.id], signal.SIGKILL, group=False)
    return _wait(left, _LAST_GRACE_S)
