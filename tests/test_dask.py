"""The Dask executor against a real cluster: a scheduler and two workers, each a
process of its own, over one home (the shared filesystem is this machine's)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_support import SKIP_REASON, Cluster, distributed, free_port, start_cluster
from dask_support import attr as _attr
from dask_support import trials as _trials

pytestmark = [pytest.mark.dask, pytest.mark.skipif(distributed is None, reason=SKIP_REASON)]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with start_cluster(tmp_path) as c:
        yield c


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
        host = _attr(run_dir, "host")  # the worker's (each stands for a host of its own)
        assert host in ("w1", "w2")
        attempts = _attr(run_dir, "_attempts")
        assert len(attempts) == 1 and attempts[0]["host"] == host
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
    gone = _gl(project, env, "run", "trial.py", "--executor", f"dask://127.0.0.1:{free_port()}", "-y")
    assert gone.returncode == 1 and gone.stderr.startswith("guildlike: executor dask://127.0.0.1:"), gone.stderr
    assert "cannot reach the scheduler" in gone.stderr and len(gone.stderr.splitlines()) == 1
    assert not (tmp_path / "home" / "runs").exists() or not list((tmp_path / "home" / "runs").iterdir())
