"""The Dask executor against a real cluster: a scheduler and two workers, each a
process of its own, over one home (the shared filesystem is this machine's)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    import distributed
except ImportError:
    distributed = None

pytestmark = [
    pytest.mark.dask,
    pytest.mark.skipif(distributed is None, reason="the Dask executor needs guildlike[dask] (distributed)"),
]


@dataclass
class Cluster:
    spec: str  # what --executor takes
    workers: list[subprocess.Popen[bytes]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    port = _free_port()
    # No hidden retries: a task whose worker dies is not run again elsewhere.
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    address = f"127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    log = open(tmp_path / "cluster.log", "wb")
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], env=env, stdout=log, stderr=log))
        for n in (1, 2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://{address}", "--nthreads", "2",
                 "--no-nanny", "--no-dashboard", "--name", f"w{n}", "--local-directory", str(tmp_path / f"w{n}")],
                env=env, stdout=log, stderr=log))
        with distributed.Client(f"tcp://{address}", timeout="30s") as client:
            client.wait_for_workers(2, timeout=30)
        yield Cluster(f"dask://{address}", procs[1:])
    finally:
        for proc in reversed(procs):
            _stop(proc)
        log.close()


SCRIPT = """\
import os, time
x = 1
if x == 3 and os.path.exists({marker!r}):
    print("long", os.getppid(), flush=True)
    time.sleep(60)
time.sleep(0.3)
print("trial", x, "on", os.getppid(), flush=True)
"""


def _project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    project.mkdir()
    marker = tmp_path / "slow-marker"
    (project / "trial.py").write_text(SCRIPT.format(marker=str(marker)))
    return project, dict(os.environ, GUILDLIKE_HOME=str(tmp_path / "home"))


def _gl(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guildlike", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def _attr(run_dir: Path, name: str) -> Any:
    path = run_dir / ".guild" / "attrs" / name
    return yaml.safe_load(path.read_text()) if path.exists() else None


def _trials(home: Path) -> dict[int, Path]:
    """Each trial's run directory by its flag x (batch runs have no x)."""
    found = {}
    for run_dir in (home / "runs").iterdir():
        flags = _attr(run_dir, "flags") or {}
        if "x" in flags and (run_dir / ".guild" / "attrs" / "_parent").exists():
            found[flags["x"]] = run_dir
    return found


def test_batch_runs_on_both_workers(tmp_path: Path, cluster: Cluster) -> None:
    project, env = _project(tmp_path)
    res = _gl(project, env, "run", "trial.py", "x=[1,2,3,4,5,6,7,8]", "--max-parallel", "4",
              "--executor", cluster.spec, "-y")
    assert res.returncode == 0, res.stderr
    trials = _trials(tmp_path / "home")
    assert sorted(trials) == [1, 2, 3, 4, 5, 6, 7, 8]
    parents = set()
    for x, run_dir in trials.items():
        assert _attr(run_dir, "exit_status") == 0
        assert _attr(run_dir, "host") == socket.gethostname()
        attempts = _attr(run_dir, "_attempts")
        assert len(attempts) == 1 and attempts[0]["host"] == socket.gethostname()
        assert attempts[0]["status"] == "completed"
        output = (run_dir / ".guild" / "output").read_text().split()
        assert output[:2] == ["trial", str(x)], output
        parents.add(int(output[3]))
        assert f"trial {x} on" in res.stdout  # the client shows what the worker recorded
    # Each op process was a child of a worker: both workers ran trials, nothing ran here.
    assert parents == {w.pid for w in cluster.workers}


def test_killed_worker_ends_trial_as_error_and_restart_needed_finishes(tmp_path: Path, cluster: Cluster) -> None:
    project, env = _project(tmp_path)
    (tmp_path / "slow-marker").write_text("")
    batch = subprocess.Popen([sys.executable, "-m", "guildlike", "run", "trial.py", "x=[1,2,3,4]", "--max-parallel",
                              "4", "--keep-batch", "--executor", cluster.spec, "-y"],
                             cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    home = tmp_path / "home"
    deadline = time.time() + 30
    victim = None
    while victim is None and time.time() < deadline:
        slow = _trials(home).get(3) if (home / "runs").exists() else None
        out = slow / ".guild" / "output" if slow else None
        if out and out.exists() and out.read_text().startswith("long "):
            victim = int(out.read_text().split()[1])
        time.sleep(0.1)
    assert victim in {w.pid for w in cluster.workers}
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = batch.communicate(timeout=60)
    assert b"was lost on the cluster" in stderr, stderr
    trials = _trials(home)
    assert _attr(trials[3], "exit_status") == 1  # error, not running for ever
    # The trials that were on the killed worker ended as errors; the others completed.
    first = {x: _attr(run_dir, "exit_status") for x, run_dir in trials.items()}
    assert set(first.values()) == {0, 1}, first
    status = _gl(project, env, "runs", "-a").stdout
    assert "running" not in status and status.count("completed") == list(first.values()).count(0), status
    (tmp_path / "slow-marker").unlink()
    batch_id = _gl(project, env, "select", "-Fo", "trial.py+").stdout.strip()
    res = _gl(project, env, "run", "--restart", batch_id, "--needed", "--executor", cluster.spec, "-y")
    assert res.returncode == 0, res.stderr
    for x, run_dir in _trials(home).items():
        assert _attr(run_dir, "exit_status") == 0, x
        # --needed left the completed trials alone and ran the lost ones once more.
        assert [a["exit_status"] for a in _attr(run_dir, "_attempts")] == ([0] if first[x] == 0 else [1, 0])


def test_bad_executor_and_unreachable_scheduler_are_one_line_errors_and_make_no_run(tmp_path: Path) -> None:
    project, env = _project(tmp_path)
    bad = _gl(project, dict(env, GUILDLIKE_EXECUTOR="dask://nowhere"), "run", "trial.py", "-y")
    assert (bad.returncode, bad.stderr) == (2, "guildlike: invalid executor 'dask://nowhere': use local or "
                                                "dask://HOST:PORT\n")
    gone = _gl(project, env, "run", "trial.py", "--executor", f"dask://127.0.0.1:{_free_port()}", "-y")
    assert gone.returncode == 1 and gone.stderr.startswith("guildlike: executor dask://127.0.0.1:"), gone.stderr
    assert "cannot reach the scheduler" in gone.stderr and len(gone.stderr.splitlines()) == 1
    assert not (tmp_path / "home" / "runs").exists() or not list((tmp_path / "home" / "runs").iterdir())
