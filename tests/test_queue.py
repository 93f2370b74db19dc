"""``guildlike queue`` with real processes: queues, batches and runs started and
killed as a user would, over one home. The queue problems Guild users report
are tests here: two queues, a queue and a batch, an unresolvable dependency,
a stopped run, a queue killed and started again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_support import SKIP_REASON, distributed, free_port, stop_process

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))

from reliability_support import Env, assert_clean_error, wait_for  # noqa: E402

FAST = ("--poll-interval", "0.1")
EXTRA_OPS = """
needs:
  description: Requires a run of an operation that never ran
  main: quick
  requires:
    - operation: prep
prep:
  description: Never run here
  main: quick
"""
_STARTING = re.compile(r"Starting staged run ([0-9a-f]{32})")


@pytest.fixture
def qenv(tmp_path: Path) -> Iterator[Env]:
    """A home and a project; whatever still runs at the end is stopped."""
    env = Env(tmp_path)
    with open(env.project / "guild.yml", "a") as f:
        f.write(EXTRA_OPS)
    try:
        yield env
    finally:
        env.close()
        env.gl("stop", "-y", "--timeout", "1")


def _stage(env: Env, *args: str) -> str:
    out = env.ok("run", *args, "--stage", "-y").out
    return out.splitlines()[0].split()[-1]


def _started_by(log: str) -> list[str]:
    return _STARTING.findall(log)


def _attempts(env: Env, run_id: str) -> list[dict[str, object]]:
    return list(env.attr(run_id, "attempts") or [])


def _max_overlap(env: Env, ids: list[str]) -> int:
    """The most runs that ran at once, from the times their attempts recorded."""
    spans = [(a["started"], a["stopped"]) for i in ids for a in _attempts(env, i)]
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_runs_oldest_first_n_at_a_time_once(qenv: Env) -> None:
    ids = [_stage(qenv, "sleepy", f"seconds=0.{i + 3}") for i in range(4)]
    res = qenv.ok("queue", "-n", "2", "--run-once", *FAST)
    assert _started_by(res.err) == ids  # in the order they were staged
    assert set(qenv.statuses().values()) == {"completed"}
    for run_id in ids:
        (attempt,) = _attempts(qenv, run_id)
        assert attempt["trigger"] == {"kind": "queue", "run": None}
    assert _max_overlap(qenv, ids) <= 2
    assert "Stopping queue (4 run(s) started)" in res.err
    # Nothing staged: --run-once returns at once, and a second queue starts nothing.
    res = qenv.ok("queue", "--run-once", *FAST)
    assert _started_by(res.err) == []


def test_two_queues_never_start_the_same_run(qenv: Env) -> None:
    ids = [_stage(qenv, "quick", f"msg=m{i}") for i in range(8)]
    queues = [qenv.start("queue", "-n", "2", "--run-once", "--poll-interval", "0.05") for _ in range(2)]
    for q in queues:
        assert q.wait(timeout=120) == 0, qenv.log(q)
    started = [run_id for q in queues for run_id in _started_by(qenv.log(q))]
    assert sorted(started) == sorted(ids)  # each run by one queue, once
    for run_id in ids:
        assert len(_attempts(qenv, run_id)) == 1
        assert qenv.attr(run_id, "exit_status") == 0


def test_a_queue_and_a_batch_never_race_for_a_trial(qenv: Env) -> None:
    res = qenv.ok("run", "sleepy", "seconds=[0.3,0.4,0.5,0.6,0.7,0.8]", "--stage-trials", "--keep-batch", "-y")
    assert res.err.count("Staged trial") == 6
    (batch,) = [qenv.full_id(r.short) for r in qenv.rows() if r.op.endswith("+")]
    trials = [i for i in qenv.run_ids() if i != batch]
    q = qenv.start("queue", "-n", "2", "--run-once", "--poll-interval", "0.05")
    # The batch runs its staged trials (--needed) while the queue takes them too.
    restart = qenv.gl("run", "--restart", batch, "--needed", "-y")
    assert q.wait(timeout=120) == 0, qenv.log(q)
    assert restart.rc == 0, str(restart)
    for run_id in trials:
        assert len(_attempts(qenv, run_id)) == 1, (run_id, _attempts(qenv, run_id))
        assert qenv.attr(run_id, "exit_status") == 0
    by_queue = set(_started_by(qenv.log(q)))
    waited = set(re.findall(r"Trial ([0-9a-f]{32}) is run by another process", restart.err))
    assert waited <= by_queue  # the batch waited for the trials the queue had, and ran the others
    assert qenv.statuses()[batch] == "completed"


def test_an_unresolvable_dependency_fails_once(qenv: Env) -> None:
    bad = _stage(qenv, "needs")
    q = qenv.start("queue", *FAST)
    wait_for(lambda: qenv.attr(bad, "exit_status") is not None, 60, "the run to fail")
    good = _stage(qenv, "quick", "msg=after")
    wait_for(lambda: qenv.attr(good, "exit_status") == 0, 60, "the next run to complete")
    os.kill(q.pid, signal.SIGTERM)
    assert q.wait(timeout=30) == 0, qenv.log(q)
    assert qenv.statuses()[bad] == "error"
    (attempt,) = _attempts(qenv, bad)
    assert attempt["status"] == "error" and attempt["trigger"]["kind"] == "queue"
    assert "could not resolve 'operation:prep'" in (qenv.run_dir(bad) / ".guild" / "output").read_text()
    assert _started_by(qenv.log(q)) == [bad, good]
    # Another queue does not take it again.
    res = qenv.ok("queue", "--run-once", *FAST)
    assert _started_by(res.err) == [] and len(_attempts(qenv, bad)) == 1


def test_stopping_a_run_does_not_freeze_the_queue(qenv: Env) -> None:
    long = _stage(qenv, "sleepy", "seconds=120")
    nxt = _stage(qenv, "quick", "msg=next")
    q = qenv.start("queue", "-n", "1", "--run-once", *FAST)
    wait_for(lambda: (qenv.run_dir(long) / "slept").exists(), 60, "the long run to run")
    assert qenv.statuses()[nxt] == "staged"  # one at a time
    qenv.ok("runs", "stop", long, "-y")
    assert q.wait(timeout=60) == 0, qenv.log(q)
    st = qenv.statuses()
    assert st[long] == "terminated" and st[nxt] == "completed", st
    assert _started_by(qenv.log(q)) == [long, nxt]


def test_the_queue_survives_its_own_restart(qenv: Env) -> None:
    long = _stage(qenv, "sleepy", "seconds=120")
    q = qenv.start("queue", "-n", "2", *FAST)
    wait_for(lambda: (qenv.run_dir(long) / "slept").exists(), 60, "the long run to run")
    os.kill(q.pid, signal.SIGKILL)
    q.wait(timeout=30)
    rest = [_stage(qenv, "quick", f"msg=r{i}") for i in range(3)]
    assert qenv.statuses()[long] == "running"  # the run outlives the queue that started it
    again = qenv.start("queue", "-n", "2", "--run-once", *FAST)
    wait_for(lambda: all(qenv.attr(r, "exit_status") == 0 for r in rest), 60, "the staged runs to complete")
    log = qenv.log(again)
    assert f"Run {long} was started by a queue and still runs" in log
    assert _started_by(log) == rest  # one slot held by the long run, the staged ones in the other
    assert _max_overlap(qenv, rest) == 1
    assert qenv.statuses()[long] == "running" and len(_attempts(qenv, long)) == 1
    qenv.ok("runs", "stop", long, "-y")
    assert again.wait(timeout=60) == 0, qenv.log(again)
    assert qenv.statuses()[long] == "terminated" and len(_attempts(qenv, long)) == 1


def test_a_staged_pipeline_runs_from_the_queue(qenv: Env) -> None:
    pipe = _stage(qenv, "noops")
    qenv.ok("queue", "--run-once", *FAST)
    st = qenv.statuses()
    assert st[pipe] == "completed" and list(st.values()) == ["completed"] * 3, st


def test_gpus_leave_runs_staged_for_other_devices(qenv: Env) -> None:
    (qenv.project / "gp.py").write_text("import os\nprint(os.environ.get('CUDA_VISIBLE_DEVICES'))\n")
    other = _stage(qenv, "gp.py", "--gpus", "1")
    plain = _stage(qenv, "gp.py")
    mine = _stage(qenv, "gp.py", "--gpus", "0")
    res = qenv.ok("queue", "--gpus", "0", "--run-once", *FAST)
    assert _started_by(res.err) == [plain, mine]
    assert res.err.count(f"Ignoring staged run {other} (GPU spec mismatch: run is 1, queue is 0)") == 1
    assert qenv.statuses()[other] == "staged"
    res = qenv.ok("queue", "--run-once", *FAST)  # a run staged with --gpus keeps them
    assert _started_by(res.err) == [other]
    for run_id, seen in ((other, "1"), (plain, "0"), (mine, "0")):
        assert (qenv.run_dir(run_id) / ".guild" / "output").read_text().split() == [seen]


def test_wait_for_running_waits_for_other_runs(qenv: Env) -> None:
    busy = qenv.start("run", "sleepy", "seconds=120", "-y")
    (running, _) = qenv.wait_op_running("sleepy", busy.pid)
    staged = _stage(qenv, "quick")
    q = qenv.start("queue", "--wait-for-running", *FAST)
    wait_for(lambda: "waiting for runs to finish" in qenv.log(q), 60, "the queue to wait")
    assert f"Found staged run {staged} (waiting for runs to finish: {running})" in qenv.log(q)
    assert qenv.statuses()[staged] == "staged"
    qenv.ok("runs", "stop", running, "-y")
    wait_for(lambda: qenv.attr(staged, "exit_status") == 0, 60, "the staged run to complete")
    os.kill(q.pid, signal.SIGINT)
    assert q.wait(timeout=30) == 0, qenv.log(q)
    assert _started_by(qenv.log(q)) == [staged]


@pytest.mark.parametrize(
    "args",
    [("-n", "0"), ("--max-parallel", "x"), ("--poll-interval", "0"), ("--executor", "nosuch"),
     ("--executor", "dask://nohost"), ("--gpus", "0,,1"), ("extra",)],
)
def test_bad_input_is_a_one_line_error(qenv: Env, args: tuple[str, ...]) -> None:
    staged = _stage(qenv, "quick")
    res = qenv.gl("queue", "--run-once", *args)
    assert_clean_error(res)
    assert res.rc in (1, 2)
    assert qenv.statuses() == {staged: "staged"} and _attempts(qenv, staged) == []


# ---------------------------------------------------------------- Dask



@pytest.fixture
def dask_spec(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler and one worker; the executor spec and the worker."""
    if distributed is None:
        pytest.skip(SKIP_REASON)
    address = f"127.0.0.1:{free_port()}"
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    log = open(tmp_path / "cluster.log", "wb")
    procs = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
         address.rsplit(":", 1)[1], "--no-dashboard"], env=env, stdout=log, stderr=log)]
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://{address}", "--nthreads", "2",
             "--no-nanny", "--no-dashboard", "--local-directory", str(tmp_path / "w1")],
            env=env, stdout=log, stderr=log))
        with distributed.Client(f"tcp://{address}", timeout="30s") as client:
            client.wait_for_workers(1, timeout=30)
        yield f"dask://{address}", procs[1]
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        log.close()


@pytest.mark.dask
def test_the_queue_starts_runs_on_a_dask_worker(qenv: Env, dask_spec: tuple[str, subprocess.Popen[bytes]]) -> None:
    spec, worker = dask_spec
    (qenv.project / "where.py").write_text("import os\nprint('parent', os.getppid(), flush=True)\n")
    ids = [_stage(qenv, "where.py") for _ in range(2)]
    res = qenv.ok("queue", "-n", "2", "--run-once", "--executor", spec, *FAST)
    assert sorted(_started_by(res.err)) == sorted(ids)
    for run_id in ids:
        assert qenv.attr(run_id, "exit_status") == 0
        output = (qenv.run_dir(run_id) / ".guild" / "output").read_text().split()
        assert output == ["parent", str(worker.pid)]  # the op's process was the worker's child
    # The executor may come from the environment, as for run.
    more = _stage(qenv, "where.py")
    qenv.ok("queue", "--run-once", *FAST, env={"GUILDLIKE_EXECUTOR": spec})
    assert (qenv.run_dir(more) / ".guild" / "output").read_text().split() == ["parent", str(worker.pid)]
