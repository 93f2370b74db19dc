"""Batches through the library: progress with the best objective so far, trial records."""

from __future__ import annotations

import os
import re
import pty
import select
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from guildlike.context import Context
from guildlike.errors import RunFailed
from guildlike.ops import trialrecords as batchmod
from guildlike.ops.options import RunOptions
from guildlike.ops.engine import Engine
from guildlike.store import status, store

PROJECT = Path(__file__).resolve().parent.parent / "samples" / "projects" / "batches"


class RecordingUI:
    def __init__(self) -> None:
        self.progress_lines: list[str] = []
        self.info_lines: list[str] = []

    def info(self, msg: str) -> None:
        self.info_lines.append(msg)

    def message(self, msg: str) -> None:
        pass

    def stream(self, data: bytes, err: bool) -> None:
        pass

    def progress(self, msg: str) -> None:
        self.progress_lines.append(msg)


@pytest.fixture
def project_ctx(tmp_path: Path) -> Context:
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    return Context(home=home, cwd=PROJECT, ui=RecordingUI(), env=env)


def test_grid_progress_shows_best_so_far(project_ctx: Context) -> None:
    Engine(project_ctx).run_op("train", ["x=[0,1,3]"], RunOptions())
    assert project_ctx.ui.progress_lines == [  # type: ignore[attr-defined]
        "trial 1 of 3",
        "trial 2 of 3, best loss 1 so far",
        "trial 3 of 3, best loss 0 so far",
    ]


def test_progress_of_trials_side_by_side_counts_them(project_ctx: Context) -> None:
    """With --max-parallel (locally or on a cluster) the line says how many trials run,
    completed, failed and wait, and the best so far; it changes as each starts and ends."""
    with pytest.raises(RunFailed):
        Engine(project_ctx).run_op("check", ["x=[1,2,3,-1]"], RunOptions(max_parallel=2))
    lines = project_ctx.ui.progress_lines  # type: ignore[attr-defined]
    assert len(lines) == 8  # each trial's start and end
    pattern = re.compile(r"^4 trials: [0-2] running, [0-3] done, [01] failed, [0-4] queued(, best loss [0-9.]+ so far)?$")
    assert all(pattern.match(line) for line in lines), lines
    assert lines[0] == "4 trials: 1 running, 0 done, 0 failed, 3 queued"
    assert lines[-1].startswith("4 trials: 0 running, 3 done, 1 failed, 0 queued, best loss")


def test_progress_maximizes_the_objective_of_the_op(project_ctx: Context) -> None:
    # score's guild.yml objective is {maximize: acc}; acc is 1 at x=1
    Engine(project_ctx).run_op("score", ["x=[1,3]"], RunOptions())
    assert project_ctx.ui.progress_lines == ["trial 1 of 2", "trial 2 of 2, best acc 1 so far"]  # type: ignore[attr-defined]


def test_progress_of_a_bayesian_search(project_ctx: Context) -> None:
    Engine(project_ctx).run_op("train", ["x=[-4.0:4.0]"], RunOptions(optimizer="tpe", max_trials=4, random_seed=1))
    lines = project_ctx.ui.progress_lines  # type: ignore[attr-defined]
    assert [line.split(",")[0] for line in lines] == [f"trial {i} of 4" for i in range(1, 5)]
    assert lines[0] == "trial 1 of 4" and all(" so far" in line for line in lines[1:])


def test_completed_batch_is_removed_unless_kept(project_ctx: Context) -> None:
    Engine(project_ctx).run_op("train", ["x=[0,1]"], RunOptions())
    assert [r.op_name for r in store.list_runs(project_ctx)] == ["train", "train"]
    kept = Engine(project_ctx).run_op("train", ["x=[0,1]"], RunOptions(keep_batch=True))
    assert kept is not None and kept.path.is_dir() and kept.status == status.COMPLETED


def test_trial_records_from_many_threads(tmp_path: Path, ctx: Context) -> None:
    run = store.init_run_dir(ctx, "b" * 32)
    records = batchmod.TrialRecords(run, [({"x": 0}, None)])

    def add(i: int) -> None:
        records.set_run(records.add({"x": i}), f"run{i}")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(1, 21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records.flush()
    run.invalidate()
    saved = run.get("trials")
    assert len(saved) == 21 and saved[0] == {"flags": {"x": 0}, "run": None}
    assert sorted(r["run"] for r in saved[1:]) == sorted(f"run{i}" for i in range(1, 21))
    assert all(r["run"] == f"run{r['flags']['x']}" for r in saved[1:])


def test_progress_is_shown_on_a_terminal_only(tmp_path: Path) -> None:
    env = dict(os.environ, GUILDLIKE_HOME=str(tmp_path / "home"))
    cmd = [sys.executable, "-m", "guildlike", "run", "train", "x=[0,1,3]", "-y"]
    # stderr on a pseudo-terminal: the progress line is drawn (and cleared)
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0
    assert b"trial 3 of 3, best loss 0 so far" in seen
    # stderr to a pipe: no progress text at all
    out = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, timeout=60)
    assert out.returncode == 0 and b"trial 1 of 3" not in out.stderr


def test_trial_records_save_run_ids_at_most_every_second(ctx: Context) -> None:
    run = store.init_run_dir(ctx, "c" * 32)
    records = batchmod.TrialRecords(run, [({"x": 1}, None), ({"x": 2}, None)])
    records.set_run(0, "r1")  # the first save was just now: this one waits
    assert [r["run"] for r in run.get("trials")] == [None, None]
    records.flush()
    assert [r["run"] for r in run.get("trials")] == ["r1", None]


def test_a_run_id_lost_to_a_kill_is_found_by_its_link(project_ctx: Context) -> None:
    batch = Engine(project_ctx).run_op("check", ["x=[1,2,2]"], RunOptions(keep_batch=True))
    assert batch is not None
    full = batch.get("trials")
    # as if guildlike had been killed before saving the last two run IDs
    batch.set("trials", [full[0]] + [{"flags": r["flags"], "run": None} for r in full[1:]])
    found = batchmod.existing_trials(project_ctx, batch)
    assert [f for f, _ in found] == [{"x": 1}, {"x": 2}, {"x": 2}]
    assert sorted(r.id for _, r in found if r is not None) == sorted(r["run"] for r in full)
