"""Liveness across machines: a run's heartbeat and its stop marker.

A process ID can only be checked on the machine that runs the process. So
the side that runs a run (the process's own guildlike process, wherever it
runs) also touches ``.guild/heartbeat`` every few seconds, and watches for
``.guild/STOP``, which ``guildlike stop`` on another machine writes instead
of sending a signal. A run whose ``LOCK`` names a process on another host
is running while its heartbeat is fresh, and an error (or, when a stop was
asked for, terminated) once it is stale: never running for ever.

Staleness is measured with the reader's clock against the file's
modification time, so the machines' clocks must roughly agree (as they do
with NTP); ``$GUILDLIKE_HEARTBEAT_STALE`` (seconds, default 20) sets it,
and the writer beats six times within it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..util.files import atomic_write

HEARTBEAT_NAME = "heartbeat"
STOP_NAME = "STOP"
STALE_ENV = "GUILDLIKE_HEARTBEAT_STALE"
DEFAULT_STALE_S = 20.0
DEFAULT_STOP_GRACE_S = 10.0
_MIN_BEAT_S = 0.1
_MAX_BEAT_S = 5.0


def stale_after() -> float:
    """Seconds after which a heartbeat is stale (``$GUILDLIKE_HEARTBEAT_STALE``, default 20)."""
    text = os.environ.get(STALE_ENV, "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_STALE_S
    return value if value > 0 else DEFAULT_STALE_S


def beat_interval() -> float:
    """Seconds between two beats: six within the staleness, at most five seconds."""
    return max(_MIN_BEAT_S, min(_MAX_BEAT_S, stale_after() / 6))


def heartbeat_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / HEARTBEAT_NAME


def stop_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / STOP_NAME


def beat(run_dir: Path) -> None:
    """Say the run's process is alive now (an error writing is left to the next beat)."""
    path = heartbeat_path(run_dir)
    try:
        try:
            os.utime(path)
        except FileNotFoundError:
            path.touch()
    except OSError:
        pass


def last_beat(run_dir: Path) -> float | None:
    """When the run's heartbeat was last touched (seconds since the epoch), None without one."""
    try:
        return heartbeat_path(run_dir).stat().st_mtime
    except OSError:
        return None


def is_fresh(last: float) -> bool:
    """True when a beat at ``last`` is recent enough to count as alive."""
    return time.time() - last <= stale_after()


def keep_pending(run_dir: Path) -> None:
    """Say the process that made a pending run still waits for it to start (a
    run queued on a cluster): its ``PENDING`` is judged by this time on other
    hosts. Never makes the file: a run that has started has none."""
    try:
        os.utime(run_dir / ".guild" / "PENDING")
    except OSError:
        pass


def request_stop(run_dir: Path, grace: float) -> None:
    """Ask the side that runs the run to stop it: SIGTERM, then SIGKILL once
    ``grace`` seconds have passed (the run's status tells when it has ended)."""
    atomic_write(stop_path(run_dir), f"{grace:g}\n")


def stop_requested(run_dir: Path) -> bool:
    return stop_path(run_dir).exists()


def stop_grace(run_dir: Path) -> float | None:
    """The grace period a stop marker names; None when no stop is asked for."""
    try:
        text = stop_path(run_dir).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return max(0.0, float(text.strip()))
    except ValueError:
        return DEFAULT_STOP_GRACE_S


def clear(run_dir: Path) -> None:
    """Drop the heartbeat and the stop marker (the run has ended, or starts again)."""
    for path in (heartbeat_path(run_dir), stop_path(run_dir)):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:
            pass
