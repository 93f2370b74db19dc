"""The cluster executor from any machine: heartbeats, stopping, resources, config.

Each worker stands for a host of its own (GUILDLIKE_HOST w1, w2), so the CLI
judges its runs by their heartbeats and stops them through stop markers, as
it would on a machine that cannot see their processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from dask_support import SKIP_REASON, attr, distributed, gl, gl_popen, run_dirs, start_cluster, status_of, trials

pytestmark = [pytest.mark.dask, pytest.mark.skipif(distributed is None, reason=SKIP_REASON)]

TRIAL = """\
import os, time
x = 1
if x == 3 and os.path.exists({marker!r}):
    print("long", os.getppid(), flush=True)
    time.sleep(60)
time.sleep(0.2)
print("loss:", abs(x - 0.3), flush=True)
"""

SLOW = """\
import os, time
secs = 60
x = 1
print("start", os.getpid(), flush=True)
time.sleep(secs)
"""


def _setup(tmp_path: Path, **env_extra: str) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "trial.py").write_text(TRIAL.format(marker=str(tmp_path / "slow-marker")))
    (project / "slow.py").write_text(SLOW)
    env = dict(os.environ, GUILDLIKE_HOME=str(tmp_path / "home"), **env_extra)
    env.pop("GUILDLIKE_EXECUTOR", None)
    return project, env


def _until(check: Callable[[], object], timeout: float = 60) -> object:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {check}")


def _output(run_dir: Path) -> str:
    path = run_dir / ".guild" / "output"
    return path.read_text() if path.exists() else ""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_dead_worker_with_its_client_shows_error_once_heartbeat_is_stale(tmp_path: Path) -> None:
    """Nobody is left to record the end (the worker and the command waiting for it were
    killed): the run is running while its heartbeat is fresh, then an error."""
    project, env = _setup(tmp_path, GUILDLIKE_HEARTBEAT_STALE="3")
    home = tmp_path / "home"
    (tmp_path / "slow-marker").write_text("")
    with start_cluster(tmp_path, env=env) as cluster:
        batch = gl_popen(project, env, "run", "trial.py", "x=[1,2,3,4,5,6,7,8]", "--max-parallel", "8",
                         "--keep-batch", "--executor", cluster.spec, "-y")
        slow = _until(lambda: trials(home).get(3) if _output(trials(home).get(3, tmp_path)).startswith("long")
                      else None)
        assert isinstance(slow, Path)
        victim = int(_output(slow).split()[1])
        assert victim in {w.pid for w in cluster.workers}
        # Another host's process: judged by its heartbeat, which its worker keeps fresh.
        assert attr(slow, "host") in ("w1", "w2")
        time.sleep(4)  # longer than the staleness: only a beating heart keeps it running
        assert status_of(project, env, slow) == "running"
        batch.kill()
        batch.wait()
        os.kill(victim, signal.SIGKILL)
        _until(lambda: status_of(project, env, slow) == "error", timeout=30)
        (tmp_path / "slow-marker").unlink()
        batch_id = gl(project, env, "select", "-Fo", "trial.py+").stdout.strip()
        res = gl(project, env, "run", "--restart", batch_id, "--needed", "--executor", cluster.spec, "-y")
    assert res.returncode == 0, res.stderr
    done = trials(home)
    assert sorted(done) == [1, 2, 3, 4, 5, 6, 7, 8]
    for x, run_dir in done.items():
        assert attr(run_dir, "exit_status") == 0, x
    assert [a["exit_status"] for a in attr(slow, "_attempts")][-1] == 0
    listed = gl(project, env, "runs", "-a").stdout
    assert "running" not in listed and "error" not in listed, listed


def test_stop_a_background_run_on_a_worker(tmp_path: Path) -> None:
    """`run -b` with a cluster executor: the detached process is the client; `runs stop`
    here writes a stop marker, the worker side stops the process, the run ends terminated."""
    project, env = _setup(tmp_path)
    with start_cluster(tmp_path, env=env) as cluster:
        res = gl(project, env, "run", "slow.py", "-b", "--executor", cluster.spec, "-y")
        assert res.returncode == 0 and "started in background as" in res.stderr, res.stderr
        run_dir = next(iter(run_dirs(tmp_path / "home")))
        pid = int(str(_until(lambda: _output(run_dir).split()[1:2] and _output(run_dir).split()[1])))
        assert attr(run_dir, "host") in ("w1", "w2")
        assert status_of(project, env, run_dir) == "running"
        stop = gl(project, env, "runs", "stop", "1", "-y", "--timeout", "10")
        assert stop.returncode == 0, stop.stderr
        assert f"on {attr(run_dir, 'host')}" in stop.stderr, stop.stderr
        assert status_of(project, env, run_dir) == "terminated"
        assert attr(run_dir, "exit_status") == -15
        _until(lambda: not _alive(pid), timeout=10)
        assert not (run_dir / ".guild" / "STOP").exists()
        # Nothing to stop: a one-line answer, as for a local run.
        again = gl(project, env, "runs", "stop", run_dir.name, "-y")
        assert again.returncode == 0 and f"Run {run_dir.name} is not running" in again.stdout


def test_sigint_stops_a_cluster_batch(tmp_path: Path) -> None:
    """Ctrl-C on the command waiting for a batch: the trials running on workers are stopped
    there, those waiting for a worker never start, all end terminated."""
    project, env = _setup(tmp_path)
    home = tmp_path / "home"
    with start_cluster(tmp_path, env=env) as cluster:
        batch = gl_popen(project, env, "run", "slow.py", "x=[1,2,3,4,5,6,7,8]", "--max-parallel", "6",
                         "--keep-batch", "--executor", cluster.spec, "-y")

        def started() -> list[Path]:
            return [d for d in trials(home).values() if _output(d).startswith("start")]

        _until(lambda: len(started()) == 4)  # two workers with two threads each
        pids = [int(_output(d).split()[1]) for d in started()]
        batch.send_signal(signal.SIGINT)
        assert batch.wait(timeout=60) == 130
        made = trials(home)
        assert 4 <= len(made) <= 6  # the items never handed to a worker were not even made
        for x, run_dir in made.items():
            assert status_of(project, env, run_dir) == "terminated", x
        assert len([d for d in made.values() if _output(d).startswith("start")]) == 4  # no trial started later
        _until(lambda: not any(_alive(p) for p in pids), timeout=10)
        listed = gl(project, env, "runs", "-a").stdout
        assert "running" not in listed and listed.count("terminated") == len(made) + 1, listed


GPU_GUILDFILE = """\
gpu:
  main: trial
  flags: {x: 1}
  resources: {GPU: 1}
cpu:
  main: trial
  flags: {x: 1}
"""


def test_resources_send_runs_to_workers_that_have_them(tmp_path: Path) -> None:
    project, env = _setup(tmp_path)
    (project / "guild.yml").write_text(GPU_GUILDFILE)
    home = tmp_path / "home"
    with start_cluster(tmp_path, resources=["GPU=1", None], env=env) as cluster:
        res = gl(project, env, "run", "gpu", "x=[1,2,4,5,6,7]", "--max-parallel", "6", "--executor", cluster.spec,
                 "-y")
        assert res.returncode == 0, res.stderr
        assert {attr(d, "host") for d in trials(home).values()} == {"w1"}
        # --gpus DEVICES asks for as many GPUs as it names.
        res = gl(project, env, "run", "cpu", "x=[11,12,14,15]", "--gpus", "0", "--max-parallel", "4",
                 "--executor", cluster.spec, "-y")
        assert res.returncode == 0, res.stderr
        hosts = {x: attr(d, "host") for x, d in trials(home).items() if x > 10}
        assert set(hosts.values()) == {"w1"} and len(hosts) == 4
        # A need no worker meets: said at once, the run waits for a worker that has it (stopped here).
        before = set(run_dirs(home))
        quick = dict(env, GUILDLIKE_HEARTBEAT_STALE="3")
        more = gl_popen(project, quick, "run", "cpu", "x=99", "--gpus", "0,1", "--executor", cluster.spec, "-y")
        waiting = _until(lambda: next(iter(set(run_dirs(home)) - before), None))
        assert isinstance(waiting, Path)
        time.sleep(4)  # the run is handed to the scheduler, where it waits longer than a heartbeat lasts
        # From another host it is pending, not an error: the waiting command keeps its PENDING fresh.
        assert status_of(project, dict(quick, GUILDLIKE_HOST="elsewhere"), waiting) == "pending"
        more.send_signal(signal.SIGINT)
        _, err = more.communicate(timeout=60)
        assert more.returncode == 130
        assert b"no worker of " in err and b"has GPU=2 yet" in err, err
        assert status_of(project, env, waiting) == "terminated" and attr(waiting, "started") is None
    for bad, said in (("{GPU: -1}", "must be a positive number"), ("[GPU]", "must be a mapping")):
        (project / "guild.yml").write_text(f"gpu:\n  main: trial\n  resources: {bad}\n")
        res = gl(project, env, "run", "gpu", "-y")
        assert res.returncode == 1 and said in res.stderr and len(res.stderr.splitlines()) == 1, res.stderr


BAYES = """\
import time
x = 0.5
time.sleep(1)
print("loss:", abs(x - 0.3), flush=True)
"""


def test_bayesian_search_restarted_after_its_process_was_killed_resumes(tmp_path: Path) -> None:
    """The study lives in the batch run: a restart with --needed keeps the trials that
    completed, learns from them, and asks only for the trials still missing."""
    project, env = _setup(tmp_path)
    (project / "bayes.py").write_text(BAYES)
    home = tmp_path / "home"
    with start_cluster(tmp_path, env=env) as cluster:
        batch = gl_popen(project, env, "run", "bayes.py", "x=[0.0:1.0]", "-o", "bayesian", "-m", "8",
                         "--max-parallel", "2", "--executor", cluster.spec, "-y")

        def completed() -> list[Path]:
            return [d for d in trials(home).values() if attr(d, "exit_status") == 0]

        _until(lambda: len(completed()) >= 2)
        batch.kill()  # SIGKILL: the batch records nothing more
        batch.wait()
        assert len(trials(home)) < 8
        # The trials its workers were running go on to their end (a restart would wait for them).
        _until(lambda: all(status_of(project, env, d) != "running" for d in trials(home).values()))
        batch_id = next(d.name for d in run_dirs(home) if attr(d, "_trials") is not None)
        res = gl(project, env, "run", "--restart", batch_id, "--needed", "--executor", cluster.spec, "-y")
    assert res.returncode == 0, res.stderr
    assert "Warm-starting the search from" in res.stderr, res.stderr
    done = trials(home)
    assert len(done) == 8, sorted(done)
    assert all(attr(d, "exit_status") == 0 for d in done.values())
    assert not (home / "runs" / batch_id).exists()  # completed: removed, as a batch is without --keep-batch


PIPELINE = """\
prep:
  main: trial
  flags: {x: 1}
pipe:
  steps:
    - run: prep x=1
    - run: prep x=2
"""


def test_pipeline_steps_run_on_the_cluster(tmp_path: Path) -> None:
    project, env = _setup(tmp_path)
    (project / "guild.yml").write_text(PIPELINE)
    home = tmp_path / "home"
    with start_cluster(tmp_path, env=env) as cluster:
        res = gl(project, env, "run", "pipe", "--executor", cluster.spec, "-y")
    assert res.returncode == 0, res.stderr
    steps = [d for d in run_dirs(home) if attr(d, "_parent")]
    assert len(steps) == 2
    assert {attr(d, "host") for d in steps} <= {"w1", "w2"}  # the steps ran on workers
    assert all(attr(d, "exit_status") == 0 for d in steps)


def test_code_identity_is_found_once_by_the_command_and_recorded_by_each_trial(tmp_path: Path) -> None:
    project, env = _setup(tmp_path)
    git_env = dict(env, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@t")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "first"]):
        subprocess.run(["git", *args], cwd=project, env=git_env, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True,
                            check=True).stdout.strip()
    with start_cluster(tmp_path, env=env) as cluster:
        res = gl(project, env, "run", "trial.py", "x=[1,2,4]", "--max-parallel", "3", "--executor", cluster.spec,
                 "-y")
    assert res.returncode == 0, res.stderr
    for run_dir in trials(tmp_path / "home").values():
        code = attr(run_dir, "_attempts")[0]["code"]
        assert code["type"] == "git" and code["commit"] == commit and code["clean"], code
