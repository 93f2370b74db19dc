"""kill -9 at the worst moments: afterwards no run is ``running`` or ``pending``
forever, and a restart finishes the work.

Also: a LOCK naming a reused pid, and restarting a run that still runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from reliability_support import Env, assert_clean_error, process_gone, wait_for

DONE = ("error", "terminated")


def test_kill_9_of_the_op_process(genv: Env) -> None:
    p = genv.start("run", "-y", "sleepy")
    rid, op_pid = genv.wait_op_running("sleepy", p.pid)
    assert genv.statuses() == {rid: "running"}
    os.kill(op_pid, signal.SIGKILL)
    assert p.wait(timeout=20) != 0
    assert genv.statuses()[rid] in DONE
    assert "tick" in (genv.run_dir(rid) / ".guild" / "output").read_text()
    res = genv.ok("run", "--restart", rid, "-y")
    assert "sleepy: done" in res.out
    assert genv.statuses() == {rid: "completed"}


def test_kill_9_of_guildlike_running_an_op(genv: Env) -> None:
    """The op process dies with guildlike (PR_SET_PDEATHSIG): nobody is left to record its end."""
    p = genv.start("run", "-y", "sleepy")
    rid, op_pid = genv.wait_op_running("sleepy", p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=20)
    wait_for(lambda: process_gone(op_pid), 10, "the op process to die with guildlike")
    assert genv.statuses() == {rid: "error"}
    genv.ok("run", "--restart", rid, "-y")
    assert genv.statuses() == {rid: "completed"}


def test_kill_9_of_a_pipeline_while_a_step_runs(genv: Env) -> None:
    p = genv.start("run", "-y", "pipe")
    step_id, op_pid = genv.wait_op_running("sleepy", p.pid)
    (pipe_id,) = genv.ids_of("pipe")
    (first_id,) = genv.ids_of("quick")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=20)
    wait_for(lambda: process_gone(op_pid), 10, "the step process to die with the pipeline")
    st = genv.statuses()
    assert st[first_id] == "completed"
    assert st[step_id] in DONE and st[pipe_id] in DONE, st
    assert "running" not in st.values() and "pending" not in st.values()

    res = genv.ok("run", "--restart", pipe_id, "--needed", "-y")
    assert "Skipping run because flags have not changed" in res.out
    st = genv.statuses()
    assert set(st.values()) == {"completed"}, st
    # The completed step was reused (one attempt), the killed one restarted in place.
    assert len(genv.attr(first_id, "attempts")) == 1
    assert len(genv.attr(step_id, "attempts")) == 2
    assert len(genv.ids_of("quick")) == 2 and genv.ids_of("sleepy") == [step_id]


# Attributes written in this order by `run`: id, initialized, op, flags, ...,
# sourcecode_digest while the run is prepared; then cmd, env, started,
# attempts; exit_status, stopped when it ends.
OP_FAULTS = ["id", "op", "flags", "sourcecode_digest", "env", "started", "attempts", "exit_status", "stopped"]


def _assert_nothing_stuck(genv: Env) -> dict[str, str]:
    st = genv.statuses()
    stuck = {k: v for k, v in st.items() if v in ("running", "pending")}
    assert not stuck, stuck
    # every run's attribute files still parse
    for rid in genv.run_ids():
        for name in os.listdir(genv.run_dir(rid) / ".guild" / "attrs"):
            genv.attr(rid, name)
    return st


@pytest.mark.parametrize("attr", OP_FAULTS)
def test_kill_9_between_two_attributes_of_a_run(genv: Env, attr: str) -> None:
    genv.ok("run", "-y", "quick", "msg=before")
    res = genv.gl("run", "-y", "quick", "msg=faulty", env={"GUILDLIKE_FAULT_KILL_AFTER_ATTR": attr})
    assert res.rc in (-9, 137), str(res)
    st = _assert_nothing_stuck(genv)
    faulty = [rid for rid in genv.run_ids() if genv.attr(rid, "flags") == {"msg": "faulty"}]
    # A run killed while it was being prepared never shows up half made.
    assert len(st) == 1 + len(faulty)
    for rid in faulty:
        assert st[rid] in ("error", "terminated", "completed")
        genv.ok("run", "--restart", rid, "-y")
        assert genv.statuses()[rid] == "completed"
    # `check` reports leftovers and repairs what it can; then all is clean.
    genv.gl("check")
    genv.ok("check", "--no-repair")


@pytest.mark.parametrize("attr", ["started", "attempts", "exit_status", "sourcecode"])
def test_kill_9_between_two_attributes_of_a_pipeline(genv: Env, attr: str) -> None:
    # `sourcecode`: the first step is being prepared; `exit_status`: the first step ends.
    res = genv.gl("run", "-y", "pipe", "seconds=0", env={"GUILDLIKE_FAULT_KILL_AFTER_ATTR": attr})
    assert res.rc in (-9, 137), str(res)
    _assert_nothing_stuck(genv)
    pipes = genv.ids_of("pipe")
    assert len(pipes) == 1
    genv.ok("run", "--restart", pipes[0], "--needed", "-y")
    st = genv.statuses()
    assert set(st.values()) == {"completed"}, st
    assert len(genv.ids_of("quick")) == 2 and len(genv.ids_of("sleepy")) == 1
    genv.gl("check")
    genv.ok("check", "--no-repair")


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_lock_of_a_reused_pid_is_not_running(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    genv.ok("run", "-y", "quick", "msg=second")
    first, second = genv.run_ids()
    stranger = _sleeper()
    try:
        ctime = __import__("psutil").Process(stranger.pid).create_time()
        # guildlike's format: "pid start-time"; the start time is another process's
        for rid in (first, second):
            (genv.run_dir(rid) / ".guild" / "attrs" / "exit_status").unlink()
        (genv.run_dir(first) / ".guild" / "LOCK").write_text(f"{stranger.pid} {ctime - 1000:.3f}\n")
        # Guild's format: a pid only, written before the process now holding that pid started
        lock = genv.run_dir(second) / ".guild" / "LOCK"
        lock.write_text(f"{stranger.pid}\n")
        os.utime(lock, (ctime - 3600, ctime - 3600))
        assert genv.statuses() == {first: "error", second: "error"}
        res = genv.ok("runs", "info", first)
        assert "status: error" in res.out
        # and the same pid with its own start time is running
        (genv.run_dir(first) / ".guild" / "LOCK").write_text(f"{stranger.pid} {ctime:.3f}\n")
        assert genv.statuses()[first] == "running"
    finally:
        stranger.kill()
        stranger.wait()
    assert genv.statuses()[first] == "error"


def test_pending_of_a_dead_or_reused_pid_is_not_pending(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    (rid,) = genv.run_ids()
    gdir = genv.run_dir(rid) / ".guild"
    (gdir / "attrs" / "exit_status").unlink()
    stranger = _sleeper()
    try:
        (gdir / "PENDING").write_text(f"{stranger.pid} 1000.000\n")
        assert genv.statuses() == {rid: "error"}
    finally:
        stranger.kill()
        stranger.wait()


def test_restarting_a_running_run_is_refused(genv: Env) -> None:
    p = genv.start("run", "-y", "sleepy")
    rid, op_pid = genv.wait_op_running("sleepy", p.pid)
    before = sorted(os.listdir(genv.run_dir(rid) / ".guild" / "attrs"))
    res = genv.gl("run", "--restart", rid, "-y")
    assert_clean_error(res)
    assert "running" in res.err.splitlines()[0]
    assert not process_gone(op_pid)
    assert genv.statuses() == {rid: "running"}
    assert sorted(os.listdir(genv.run_dir(rid) / ".guild" / "attrs")) == before
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=20)
    assert genv.statuses()[rid] == "terminated"


def test_restarting_a_running_pipeline_or_its_step_is_refused(genv: Env) -> None:
    p = genv.start("run", "-y", "pipe")
    step_id, op_pid = genv.wait_op_running("sleepy", p.pid)
    (pipe_id,) = genv.ids_of("pipe")
    for rid in (pipe_id, step_id):
        res = genv.gl("run", "--restart", rid, "--needed", "-y")
        assert_clean_error(res)
        assert "running" in res.err
    assert len(genv.run_ids()) == 3
    os.kill(p.pid, signal.SIGINT)
    assert p.wait(timeout=20) == 130
    st = genv.statuses()
    assert st[pipe_id] == "terminated" and st[step_id] == "terminated"


def test_two_restarts_at_once_one_is_refused(genv: Env) -> None:
    genv.ok("run", "-y", "sleepy", "seconds=0")
    (rid,) = genv.run_ids()
    (genv.run_dir(rid) / "slept").unlink()  # the restart sleeps again
    procs = [genv.start("run", "--restart", rid, "seconds=4", "-y") for _ in range(2)]
    codes = sorted(p.wait(timeout=60) for p in procs)
    assert codes[0] == 0 and codes[1] != 0, [genv.log(p) for p in procs]
    refused = next(genv.log(p) for p in procs if p.returncode != 0)
    assert refused.startswith("guildlike: run ") and "still running" in refused and "Traceback" not in refused
    assert genv.statuses() == {rid: "completed"}
    assert len(genv.attr(rid, "attempts")) == 2


def test_lock_survives_a_wall_clock_change(genv: Env) -> None:
    """A LOCK records its process's start also as seconds since boot: a wall
    clock stepped since (NTP, a resumed VM) does not make the process look
    like another one, and a reused pid is still told apart."""
    import psutil

    genv.ok("run", "-y", "quick")
    (rid,) = genv.run_ids()
    (genv.run_dir(rid) / ".guild" / "attrs" / "exit_status").unlink()
    stranger = _sleeper()
    try:
        ctime = psutil.Process(stranger.pid).create_time()
        since_boot = ctime - psutil.boot_time()
        lock = genv.run_dir(rid) / ".guild" / "LOCK"
        # written when the wall clock was 30 s behind
        lock.write_text(f"{stranger.pid} {ctime - 30:.3f} {since_boot:.3f}\n")
        assert genv.statuses() == {rid: "running"}
        # another process that got the same pid later
        lock.write_text(f"{stranger.pid} {ctime - 30:.3f} {since_boot - 30:.3f}\n")
        assert genv.statuses() == {rid: "error"}
        # unreadable or garbage markers name no process
        lock.write_bytes(b"\xff\xfe garbage")
        assert genv.statuses() == {rid: "error"}
        lock.unlink()
        (genv.run_dir(rid) / ".guild" / "PENDING").write_text("not a pid\n")
        assert genv.statuses() == {rid: "error"}
    finally:
        stranger.kill()
        stranger.wait()


def test_deleting_a_run_in_use_is_refused(genv: Env) -> None:
    genv.ok("run", "-y", "sleepy", "seconds=0")
    (rid,) = genv.run_ids()
    (genv.run_dir(rid) / "slept").unlink()
    p = genv.start("run", "--restart", rid, "seconds=30", "-y")
    wait_for(lambda: (genv.run_dir(rid) / "slept").exists(), 30, "the restart to run")
    res = genv.gl("runs", "delete", rid, "-y")
    assert_clean_error(res)
    assert "running" in res.err
    assert genv.run_ids() == [rid]
    # A run being restarted but not yet running is protected by the restart's claim.
    import fcntl

    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=20)
    fd = os.open(genv.run_dir(rid) / ".guild", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a restart holds it
        res = genv.gl("runs", "delete", rid, "-y")
        assert_clean_error(res)
    finally:
        os.close(fd)
    genv.ok("runs", "delete", rid, "-y")
    assert genv.run_ids() == []


def test_two_starts_of_a_staged_run_at_once(genv: Env) -> None:
    genv.ok("run", "-y", "--stage", "sleepy", "seconds=3")
    (rid,) = genv.run_ids()
    assert genv.statuses() == {rid: "staged"}
    procs = [genv.start("run", "--start", rid, "-y") for _ in range(2)]
    codes = sorted(p.wait(timeout=60) for p in procs)
    assert codes[0] == 0 and codes[1] != 0, [genv.log(p) for p in procs]
    refused = next(genv.log(p) for p in procs if p.returncode != 0)
    assert refused.startswith("guildlike: run ") and "not staged" in refused
    assert genv.statuses() == {rid: "completed"}
    assert len(genv.attr(rid, "attempts")) == 1


def test_a_run_is_owned_by_guildlike_until_its_record_is_complete(genv: Env) -> None:
    """Between the op's exit and its exit status (outputs hashed, scalars read),
    the run's LOCK names guildlike, not the op's dead process: it shows
    running, so it cannot be deleted or restarted as if it had failed."""
    proc = genv.start("run", "-y", "noop", env={"GUILDLIKE_FAULT_KILL_AFTER_ATTR": "stopped"})
    assert proc.wait(60) in (-9, 137)
    (rid,) = genv.run_ids()
    assert not (genv.run_dir(rid) / ".guild" / "attrs" / "exit_status").exists()  # killed before the end
    lock = (genv.run_dir(rid) / ".guild" / "LOCK").read_text().split()
    assert int(lock[0]) == proc.pid, lock  # taken back from the op's (ended) process


def test_after_kill_9_the_run_log_agrees_with_runs_and_check_repairs_the_attempt(genv: Env) -> None:
    """The last attempt of a run whose guildlike was killed is left `running` on
    disk; `runs log` shows the run's status for it and `check` writes it so."""
    p = genv.start("run", "-y", "sleepy")
    rid, op_pid = genv.wait_op_running("sleepy", p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=20)
    wait_for(lambda: process_gone(op_pid), 10, "the op process to die with guildlike")
    assert genv.statuses() == {rid: "error"}
    assert genv.attr(rid, "attempts")[-1]["status"] == "running"  # as the killed process left it
    log = json.loads(genv.ok("runs", "log", rid, "--json").out)
    assert log["status"] == "error" and log["attempts"][-1]["status"] == "error"
    res = genv.gl("check", "--no-repair")
    assert res.rc != 0 and f"run {rid}: attempt 1 is recorded as running but the run is error" in res.out
    assert genv.attr(rid, "attempts")[-1]["status"] == "running"  # --no-repair changes nothing
    res = genv.ok("check")
    assert f"repaired: run {rid}: attempt 1 is recorded as running but the run is error" in res.out
    assert genv.attr(rid, "attempts")[-1]["status"] == "error"
    genv.ok("check", "--no-repair")
