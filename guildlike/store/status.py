"""Run status from the markers in ``.guild``.

``LOCK`` holds the pid of the process running the run, followed on the same
line by that process's start time (seconds since the epoch) and the host it
runs on. A run is ``running`` only while that very process lives: a pid that
now belongs to another process (pid reuse) does not count. A process on
another host cannot be checked from here: its run is judged by its heartbeat
(``liveness``). A run whose process died without writing ``exit_status`` is
``error``, never ``running`` forever.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from ..util.files import atomic_write
from ..util.hosts import host_name
from . import liveness

RUNNING = "running"
COMPLETED = "completed"
ERROR = "error"
TERMINATED = "terminated"
PENDING = "pending"
STAGED = "staged"

ALL = (RUNNING, COMPLETED, ERROR, TERMINATED, PENDING, STAGED)

# Exit status written for a run stopped by SIGINT/SIGTERM (negative signal).
TERMINATED_EXIT_CODES = frozenset({-2, -9, -15, 130, 143})

# Slack allowed between a process's start time as psutil reports it and as
# written in the LOCK file (both come from the same source; rounding only).
_CTIME_SLACK = 0.05


class Lock(NamedTuple):
    """What a ``LOCK`` (or ``PENDING``) says: the process, when it started, where it runs."""

    pid: int
    ctime: float | None  # the process's start time, None when not recorded
    mtime: float  # when the marker was written
    host: str = ""  # "" when not recorded (this host)
    beat: float | None = None  # the run's last heartbeat, read for a process on another host

    @property
    def remote(self) -> bool:
        """True when the process runs on another host, where its pid means nothing here."""
        return bool(self.host) and self.host != host_name()


def lock_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / "LOCK"


def _pid_text(pid: int) -> str:
    """``PID START BOOT_START HOST``: the process's start time (seconds since
    the epoch), the same instant in seconds since boot, which a later change
    of the wall clock does not move, and this host's name."""
    ctime = process_create_time(pid)
    host = "_".join(host_name().split())
    if ctime is None:
        return f"{pid} - - {host}\n"
    return f"{pid} {ctime:.3f} {ctime - boot_time():.3f} {host}\n"


def write_lock(run_dir: Path, pid: int) -> None:
    atomic_write(lock_path(run_dir), _pid_text(pid))


def write_pending(run_dir: Path, pid: int) -> None:
    """``PENDING`` names the process preparing the run, so a crash shows as error."""
    atomic_write(run_dir / ".guild" / "PENDING", _pid_text(pid))


def remove_lock(run_dir: Path) -> None:
    try:
        os.unlink(lock_path(run_dir))
    except FileNotFoundError:
        pass


@contextmanager
def claim(run_dir: Path) -> Iterator[bool]:
    """Hold the run's claim (an exclusive ``flock`` on its ``.guild`` folder)
    inside; yields False when another process holds it.

    A restart holds it from before it checks the run's status until the run
    ends, so two restarts of one run started at the same moment cannot both
    go on. The kernel drops the lock when its process dies, even by kill -9,
    and no file is written for it.
    """
    import fcntl  # lazy: start-up speed; only a claim needs it

    try:
        fd = os.open(run_dir / ".guild", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield True  # not a run folder: whoever reads it next says so
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _linux_stat(pid: int) -> tuple[str, int] | None:
    """(state, start in clock ticks since boot) from ``/proc/PID/stat``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return fields[0].decode(), int(fields[19])
    except (IndexError, ValueError):
        return None


def boot_time() -> float:
    """When the machine booted (seconds since the epoch), as psutil computes it."""
    try:
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    import psutil  # lazy: start-up speed, runs start without psutil on Linux

    return psutil.boot_time()


def process_create_time(pid: int) -> float | None:
    """The start time of the live process ``pid``; None when there is none.

    A zombie (a process that has exited but was not reaped, as happens to
    orphans in a container without an init that reaps) is not alive. On
    Linux this reads ``/proc`` directly, with psutil's own formula (boot
    time + start ticks / clock ticks per second), to spare each run the
    import of psutil; elsewhere psutil answers.
    """
    if os.path.isdir("/proc/self"):
        st = _linux_stat(pid)
        if st is None:
            return None
        state, ticks = st
        if state in ("Z", "X"):
            return None
        return boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    import psutil  # lazy: start-up speed, runs start without psutil on Linux

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def read_lock(run_dir: Path, name: str = "LOCK") -> Lock | None:
    """What the marker ``name`` says, or None when there is none."""
    path = run_dir / ".guild" / name
    try:
        mtime = path.stat().st_mtime
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        return Lock(-1, None, 0.0)  # unreadable: names no live process
    parts = text.split()
    if not parts:
        return Lock(0, None, mtime)  # Guild's markers hold no pid
    try:
        pid = int(parts[0])
    except ValueError:
        return Lock(-1, None, mtime)
    host = parts[3] if len(parts) > 3 else ""
    lock = Lock(pid, _start_time(parts), mtime, host)
    if lock.remote:
        lock = lock._replace(beat=liveness.last_beat(run_dir))
    return lock


def _start_time(parts: list[str]) -> float | None:
    try:
        if len(parts) > 2:
            # The start as seconds since boot, in this process's view of the
            # epoch: a wall clock moved since the LOCK was written (NTP, a
            # resumed VM) does not make a running process look like another.
            return float(parts[2]) + boot_time()
        if len(parts) > 1:
            return float(parts[1])
    except ValueError:
        pass
    return None


def lock_pid_alive(lock: Lock) -> bool:
    """True when the LOCK's process is alive and is the same process; for a
    process on another host, when the run's heartbeat (or the LOCK) is fresh."""
    pid, ctime, mtime = lock.pid, lock.ctime, lock.mtime
    if pid <= 0:
        return False
    if lock.remote:
        return liveness.is_fresh(max(lock.beat or 0.0, mtime))
    actual = process_create_time(pid)
    if actual is None:
        return False
    if ctime is not None:
        return abs(actual - ctime) <= _CTIME_SLACK
    # A LOCK written by Guild holds only the pid: the process must have been
    # started before the lock was written.
    return actual <= mtime + 1.0


def status_from_markers(run_dir: Path, exit_status: object) -> str:
    # A restart deletes exit_status before it takes the LOCK, and a run ends by
    # writing exit_status before it drops the LOCK: with an exit status the
    # run is not running, and no marker needs reading.
    if exit_status is not None:
        return status_from_exit(exit_status)
    gdir = run_dir / ".guild"
    lock = read_lock(run_dir)
    if lock is not None:
        if lock_pid_alive(lock):
            return RUNNING
        if lock.remote and liveness.stop_requested(run_dir):
            return TERMINATED  # stopped from here, and its host went quiet
    elif exit_status is None:
        if (gdir / "STAGED").exists():
            return STAGED
        pending = read_lock(run_dir, "PENDING")
        if pending is not None:
            # A PENDING without a pid (Guild's) is taken as is.
            if pending[0] == 0 or lock_pid_alive(pending):
                return PENDING
    return status_from_exit(exit_status)


def status_from_exit(exit_status: object) -> str:
    if exit_status is None:
        return ERROR
    if exit_status == 0:
        return COMPLETED
    if isinstance(exit_status, int) and exit_status in TERMINATED_EXIT_CODES:
        return TERMINATED
    return ERROR
