"""Background runs and ``runs stop``: a run started with ``-b`` records its end as
one in the foreground does; ``stop`` leaves a pipeline and its step, a batch and
its running trials ``terminated``, nothing ``pending``, no process behind, and
``run --restart RUN --needed`` finishes what was stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reliability_support import Env, process_gone, wait_for


@pytest.fixture
def benv(genv: Env) -> Iterator[Env]:
    """``genv``, and whatever still runs in the background stopped at the end."""
    try:
        yield genv
    finally:
        genv.gl("stop", "-y", "--timeout", "1")


def _started_id(res_err: str) -> str:
    line = [ln for ln in res_err.splitlines() if " started in background as " in ln]
    assert len(line) == 1, res_err
    return line[0].rsplit(" ", 1)[1]


def _running_pids(env: Env) -> list[int]:
    pids = [env.lock_pid(i) for i in env.run_ids()]
    return [p for p in pids if p and not process_gone(p)]


def test_background_run_records_its_end_like_a_foreground_run(benv: Env) -> None:
    res = benv.ok("run", "sleepy", "seconds=0.3", "-b", "-y")
    run_id = _started_id(res.err)
    assert res.out == ""
    wait_for(lambda: benv.attr(run_id, "exit_status") is not None, 30, "the run to end")
    assert benv.statuses() == {run_id: "completed"}
    attempts = benv.attr(run_id, "attempts")
    assert len(attempts) == 1 and attempts[0]["exit_status"] == 0
    assert "sleepy: done" in (benv.run_dir(run_id) / ".guild" / "output").read_text()
    # A restart in the background is a second attempt of the same run.
    benv.ok("run", "--restart", run_id, "-b", "-y")
    wait_for(lambda: len(benv.attr(run_id, "attempts") or []) == 2 and benv.attr(run_id, "exit_status") == 0,
             30, "the second attempt to end")
    assert benv.attr(run_id, "attempts")[1]["trigger"]["kind"] == "restart"


def test_background_start_of_a_staged_run_and_a_failing_one(benv: Env) -> None:
    staged = benv.ok("run", "quick", "msg=hi", "--stage", "-y").out.splitlines()[0].split()[-1]
    res = benv.ok("run", "--start", staged, "-b", "-y")
    assert _started_id(res.err) == staged
    wait_for(lambda: benv.attr(staged, "exit_status") == 0, 30, "the staged run to complete")
    (benv.project / "bad.py").write_text("raise SystemExit(3)\n")
    bad = _started_id(benv.ok("run", "bad.py", "-b", "-y").err)
    wait_for(lambda: benv.attr(bad, "exit_status") == 3, 30, "the failing run to end")
    assert benv.statuses()[bad] == "error"


def test_errors_before_the_start_are_reported_by_the_caller(benv: Env) -> None:
    res = benv.gl("run", "nosuch", "-b", "-y")
    assert res.rc == 1 and res.err.startswith("guildlike: "), res
    assert "Traceback" not in res.text and benv.run_ids() == []
    benv.ok("run", "quick", "msg=a", "-y")
    res = benv.ok("run", "quick", "msg=a", "--needed", "-b", "-y")
    assert "Skipping because the following runs match" in res.out and "background" not in res.err
    assert len(benv.run_ids()) == 1


@pytest.mark.parametrize("which", ["all", "pipeline", "step"])
def test_stop_a_background_pipeline_then_finish_it(benv: Env, which: str) -> None:
    pipe_id = _started_id(benv.ok("run", "pipe", "-b", "-y").err)
    step_id, op_pid = benv.wait_op_running("sleepy", -1)
    (first_id,) = benv.ids_of("quick")
    args = {"all": [], "pipeline": [pipe_id], "step": [step_id]}[which]
    res = benv.ok("runs", "stop", *args, "-y")
    assert f"Stopping {step_id if which == 'step' else pipe_id}" in res.err
    st = benv.statuses()
    assert st == {first_id: "completed", step_id: "terminated", pipe_id: "terminated"}, st
    assert benv.attr(pipe_id, "exit_status") == benv.attr(step_id, "exit_status") == -15
    assert process_gone(op_pid) and _running_pids(benv) == []
    benv.ok("run", "--restart", pipe_id, "--needed", "-y")
    st = benv.statuses()
    assert set(st.values()) == {"completed"} and len(st) == 4, st
    assert len(benv.attr(first_id, "attempts")) == 1


def test_stop_a_pipeline_running_in_the_foreground(benv: Env) -> None:
    p = benv.start("run", "pipe", "-y")
    step_id, _ = benv.wait_op_running("sleepy", p.pid)
    (pipe_id,) = benv.ids_of("pipe")
    benv.ok("stop", pipe_id, "-y")
    assert p.wait(timeout=20) == 143, benv.log(p)
    assert benv.statuses()[pipe_id] == benv.statuses()[step_id] == "terminated"


@pytest.mark.parametrize("parallel", ["1", "2"])
def test_stop_a_batch_then_finish_it(benv: Env, parallel: str) -> None:
    batch_id = _started_id(
        benv.ok("run", "sleepy", "seconds=[30,31,0.2]", "--max-parallel", parallel, "-b", "-y").err
    )
    benv.wait_op_running("sleepy", -1)
    if parallel == "2":
        wait_for(lambda: len(_running_pids(benv)) == 3, 30, "two trials and the batch to run")
    benv.ok("stop", "-y")
    st = benv.statuses()
    assert st[batch_id] == "terminated" and benv.attr(batch_id, "exit_status") == -15
    trials = [i for i in st if i != batch_id]
    assert len(trials) == int(parallel), st
    assert {st[t] for t in trials} == {"terminated"}, st
    assert "pending" not in st.values() and _running_pids(benv) == []
    benv.ok("run", "--restart", batch_id, "--needed", "-y")
    st = benv.statuses()
    assert list(st.values()) == ["completed"] * 3, st  # the batch completed, and was removed


def test_stop_kills_an_op_that_ignores_sigterm(benv: Env) -> None:
    (benv.project / "stubborn.py").write_text(
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('up', flush=True)\ntime.sleep(60)\n"
    )
    run_id = _started_id(benv.ok("run", "stubborn.py", "-b", "-y").err)
    wait_for(lambda: "up" in (benv.run_dir(run_id) / ".guild" / "output").read_text(), 30, "the op to start")
    benv.ok("stop", "--timeout", "0.5", "-y")
    assert benv.statuses() == {run_id: "terminated"}
    assert benv.attr(run_id, "exit_status") == -9


def test_stop_messages(benv: Env) -> None:
    res = benv.ok("stop", "-y")
    assert res.err == "Nothing to stop.\n" and res.out == ""
    done = _started_id(benv.ok("run", "quick", "msg=x", "-b", "-y").err)
    wait_for(lambda: benv.attr(done, "exit_status") == 0, 30, "the run to end")
    res = benv.ok("stop", done, "-y")
    assert res.out == f"Run {done} is not running\n"
    run_id = _started_id(benv.ok("run", "sleepy", "-b", "-y").err)
    pid = benv.ok("select", run_id, "-a", "pid").out.strip()
    assert pid.isdigit()
    res = benv.gl("stop", input="n\n")
    assert res.rc == 4 and "You are about to stop the following runs:" in res.err
    assert f"Stop 1 run(s)? (y/N)" in res.err and benv.statuses()[run_id] == "running"
    res = benv.ok("stop", input="y\n")
    assert f"Stopping {run_id} (pid {pid})" in res.err
    assert benv.ok("select", run_id, "-a", "pid").out == "\n"
