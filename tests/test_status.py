"""Run status from markers, with real processes (no mocks).

A run is ``running`` only while the very process named in its LOCK lives:
a dead pid, or a live pid that belongs to another process (pid reuse), is
not running, and a run without ``exit_status`` is then ``error``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from guildlike.store import liveness, status
from guildlike.store.status import status_from_markers

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    (d / ".guild" / "attrs").mkdir(parents=True)
    return d


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    p = subprocess.Popen(SLEEPER)
    try:
        yield p
    finally:
        p.kill()
        p.wait()


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    assert not psutil.pid_exists(p.pid) or psutil.Process(p.pid).status() == psutil.STATUS_ZOMBIE
    return p.pid


def write_lock_text(run_dir: Path, text: str) -> None:
    (run_dir / ".guild" / "LOCK").write_text(text)


def test_no_lock() -> None:
    assert status.status_from_exit(None) == status.ERROR
    assert status.status_from_exit(0) == status.COMPLETED
    assert status.status_from_exit(1) == status.ERROR
    assert status.status_from_exit(3) == status.ERROR
    for code in (-2, -9, -15, 130, 143):
        assert status.status_from_exit(code) == status.TERMINATED


def test_markers_without_lock(run_dir: Path) -> None:
    assert status_from_markers(run_dir, None) == status.ERROR
    (run_dir / ".guild" / "PENDING").write_text("")
    assert status_from_markers(run_dir, None) == status.PENDING
    (run_dir / ".guild" / "STAGED").write_text("")
    assert status_from_markers(run_dir, None) == status.STAGED
    # An exit status wins over stale markers.
    assert status_from_markers(run_dir, 0) == status.COMPLETED


def test_lock_of_the_running_process(run_dir: Path, sleeper: subprocess.Popen[bytes]) -> None:
    status.write_lock(run_dir, sleeper.pid)
    lock = status.read_lock(run_dir)
    assert lock is not None and lock.pid == sleeper.pid and lock.ctime is not None and not lock.remote
    assert status_from_markers(run_dir, None) == status.RUNNING
    # A restart deletes exit_status before it takes the LOCK, and a run writes
    # exit_status before it drops the LOCK: an exit status means it has ended.
    assert status_from_markers(run_dir, 0) == status.COMPLETED
    sleeper.kill()
    sleeper.wait()
    assert status_from_markers(run_dir, None) == status.ERROR


def test_lock_with_dead_pid_is_error(run_dir: Path) -> None:
    pid = dead_pid()
    write_lock_text(run_dir, f"{pid}\n")
    assert status_from_markers(run_dir, None) == status.ERROR
    write_lock_text(run_dir, f"{pid} {time.time() - 1:.3f}\n")
    assert status_from_markers(run_dir, None) == status.ERROR
    # The process wrote its exit status before it died.
    assert status_from_markers(run_dir, 0) == status.COMPLETED
    assert status_from_markers(run_dir, -15) == status.TERMINATED


def test_live_pid_of_another_process_is_not_running(run_dir: Path, sleeper: subprocess.Popen[bytes]) -> None:
    """pid reuse: the pid is alive, started before the LOCK was written, but is not the run's process."""
    actual = psutil.Process(sleeper.pid).create_time()
    time.sleep(0.1)
    write_lock_text(run_dir, f"{sleeper.pid} {actual - 5:.3f}\n")
    assert (run_dir / ".guild" / "LOCK").stat().st_mtime > actual
    assert status_from_markers(run_dir, None) == status.ERROR
    write_lock_text(run_dir, f"{sleeper.pid} {actual:.3f}\n")
    assert status_from_markers(run_dir, None) == status.RUNNING


def test_pid_only_lock_as_guild_writes_it(run_dir: Path, sleeper: subprocess.Popen[bytes]) -> None:
    write_lock_text(run_dir, f"{sleeper.pid}\n")
    assert status_from_markers(run_dir, None) == status.RUNNING
    # A lock older than the process: the pid was reused by a newer process.
    lock = run_dir / ".guild" / "LOCK"
    old = time.time() - 3600
    os.utime(lock, (old, old))
    assert status_from_markers(run_dir, None) == status.ERROR


@pytest.mark.parametrize("text", ["", "nonsense\n", "-5\n", "0\n"])
def test_garbage_lock_is_not_running(run_dir: Path, text: str) -> None:
    write_lock_text(run_dir, text)
    assert status_from_markers(run_dir, None) == status.ERROR


def test_remove_lock(run_dir: Path) -> None:
    status.remove_lock(run_dir)  # no lock: nothing to do
    write_lock_text(run_dir, "1\n")
    status.remove_lock(run_dir)
    assert status.read_lock(run_dir) is None


# A real run, stopped without a chance to record how it ended.


def _guildlike(home: Path, cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "guildlike", *args],
        cwd=str(cwd),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for(cond, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _one_run(home: Path) -> Path:
    runs = [d for d in (home / "runs").iterdir() if not d.name.startswith(".")] if (home / "runs").exists() else []
    assert len(runs) <= 1
    return runs[0] if runs else Path("/nonexistent")


def test_killed_run_is_error_not_running_forever(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "nap.py").write_text("import time\nprint('napping', flush=True)\ntime.sleep(60)\n")
    p = _guildlike(home, tmp_path, "run", "nap.py", "-y")
    try:
        _wait_for(lambda: (_one_run(home) / ".guild" / "LOCK").exists())
        run_dir = _one_run(home)
        assert status_from_markers(run_dir, None) == status.RUNNING
        lock = status.read_lock(run_dir)
        assert lock is not None
        op_pid = lock[0]
        # Kill guildlike and the operation at once: nobody writes exit_status.
        os.killpg(p.pid, signal.SIGKILL)
        try:
            os.killpg(op_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        _wait_for(lambda: not psutil.pid_exists(op_pid) or psutil.Process(op_pid).status() == psutil.STATUS_ZOMBIE)
        assert (run_dir / ".guild" / "LOCK").exists()
        assert not (run_dir / ".guild" / "attrs" / "exit_status").exists()
        assert status_from_markers(run_dir, None) == status.ERROR
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_interrupted_run_is_terminated(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "nap.py").write_text("import time\nprint('napping', flush=True)\ntime.sleep(60)\n")
    p = _guildlike(home, tmp_path, "run", "nap.py", "-y")
    try:
        _wait_for(lambda: (_one_run(home) / ".guild" / "output").exists()
                  and b"napping" in (_one_run(home) / ".guild" / "output").read_bytes())
        run_dir = _one_run(home)
        os.kill(p.pid, signal.SIGINT)
        p.wait(timeout=30)
        from guildlike.store import attrs

        exit_status = attrs.read(run_dir, "exit_status")
        assert status_from_markers(run_dir, exit_status) == status.TERMINATED
        assert status.read_lock(run_dir) is None
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_process_on_another_host_is_judged_by_its_heartbeat(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pid on another host means nothing here: a fresh heartbeat is running, a stale one an
    error (terminated when a stop was asked for), never running for ever; the pid is not checked."""
    monkeypatch.setenv("GUILDLIKE_HEARTBEAT_STALE", "30")
    pid = dead_pid()
    write_lock_text(run_dir, f"{pid} {time.time():.3f} 1.000 some-worker\n")
    lock = status.read_lock(run_dir)
    assert lock is not None and lock.host == "some-worker" and lock.remote
    assert status_from_markers(run_dir, None) == status.RUNNING  # the LOCK was just written
    old = time.time() - 60
    os.utime(run_dir / ".guild" / "LOCK", (old, old))
    assert status_from_markers(run_dir, None) == status.ERROR
    liveness.beat(run_dir)
    assert status_from_markers(run_dir, None) == status.RUNNING
    os.utime(liveness.heartbeat_path(run_dir), (old, old))
    assert status_from_markers(run_dir, None) == status.ERROR
    liveness.request_stop(run_dir, 5)
    assert liveness.stop_grace(run_dir) == 5.0
    assert status_from_markers(run_dir, None) == status.TERMINATED
    assert status_from_markers(run_dir, 0) == status.COMPLETED
    # A short staleness (from the environment) makes a quiet host stale sooner.
    liveness.beat(run_dir)
    os.utime(liveness.heartbeat_path(run_dir), (time.time() - 5, time.time() - 5))
    assert status_from_markers(run_dir, None) == status.RUNNING
    monkeypatch.setenv("GUILDLIKE_HEARTBEAT_STALE", "2")
    assert status_from_markers(run_dir, None) == status.TERMINATED
    # This host's name (GUILDLIKE_HOST) makes the same LOCK a local one: the pid rules.
    monkeypatch.setenv("GUILDLIKE_HOST", "some-worker")
    assert status_from_markers(run_dir, None) == status.ERROR and not status.read_lock(run_dir).remote  # type: ignore[union-attr]
