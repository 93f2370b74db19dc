"""Ctrl-C and SIGTERM on a pipeline: the running step's whole process group
stops, step and pipeline are ``terminated``, the output so far is kept, and a
restart resumes where it stopped."""

from __future__ import annotations

import os
import signal

import pytest

from reliability_support import Env, process_gone, wait_for

CASES = [
    pytest.param(signal.SIGINT, False, id="SIGINT-to-process"),
    pytest.param(signal.SIGTERM, False, id="SIGTERM-to-process"),
    pytest.param(signal.SIGINT, True, id="SIGINT-to-group (Ctrl-C)"),
    pytest.param(signal.SIGTERM, True, id="SIGTERM-to-group"),
]


@pytest.mark.parametrize("signum,to_group", CASES)
def test_signal_stops_a_pipeline(genv: Env, signum: int, to_group: bool) -> None:
    p = genv.start("run", "-y", "pipe", "child=yes")
    step_id, op_pid = genv.wait_op_running("sleepy", p.pid)
    child_pid = int((genv.run_dir(step_id) / "child.pid").read_text())
    (pipe_id,) = genv.ids_of("pipe")
    (first_id,) = genv.ids_of("quick")
    assert os.getpgid(op_pid) == op_pid != os.getpgid(p.pid), "the op runs in a process group of its own"
    assert os.getpgid(child_pid) == op_pid
    if to_group:
        os.killpg(p.pid, signum)  # as a terminal does: guildlike's group, not the op's
    else:
        os.kill(p.pid, signum)
    rc = p.wait(timeout=20)
    assert rc == 128 + signum, genv.log(p)
    assert "Traceback" not in genv.log(p).split("sleepy: started")[0]
    wait_for(lambda: process_gone(op_pid) and process_gone(child_pid), 10, "the step's process group to stop")

    st = genv.statuses()
    assert st == {first_id: "completed", step_id: "terminated", pipe_id: "terminated"}, st
    assert genv.attr(step_id, "exit_status") == -signum
    assert not (genv.run_dir(step_id) / ".guild" / "LOCK").exists()
    output = (genv.run_dir(step_id) / ".guild" / "output").read_text()
    assert "sleepy: started" in output and "tick 0" in output

    res = genv.ok("run", "--restart", pipe_id, "--needed", "-y")
    assert "sleepy: done" in res.out
    st = genv.statuses()
    assert set(st.values()) == {"completed"} and len(st) == 4, st
    assert len(genv.attr(first_id, "attempts")) == 1
    # the interrupted attempt's output is kept beside the new one
    kept = (genv.run_dir(step_id) / ".guild" / "output.1").read_text()
    assert "tick 0" in kept and "sleepy: done" not in kept
    assert "sleepy: done" in (genv.run_dir(step_id) / ".guild" / "output").read_text()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_an_op(genv: Env, signum: int) -> None:
    p = genv.start("run", "-y", "sleepy", "child=yes")
    rid, op_pid = genv.wait_op_running("sleepy", p.pid)
    child_pid = int((genv.run_dir(rid) / "child.pid").read_text())
    os.kill(p.pid, signum)
    assert p.wait(timeout=20) == 128 + signum
    wait_for(lambda: process_gone(op_pid) and process_gone(child_pid), 10, "the op's process group to stop")
    assert genv.statuses() == {rid: "terminated"}
    genv.ok("run", "--restart", rid, "-y")
    assert genv.statuses() == {rid: "completed"}
