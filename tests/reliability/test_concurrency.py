"""Many writers in one home at once: no run lost, no id twice, no attribute
file half written, the index agrees with the directories, and listing,
deleting and restoring at the same time never crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from reliability_support import HERE, Env

WRITERS = 8
RUNS_EACH = 50
PIPELINE_EVERY = 10  # every 10th run is a pipeline: a run and two step runs


def _start(genv: Env, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "writer.py"), *args],
        cwd=str(genv.project),
        env=genv.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(p: subprocess.Popen[str]) -> dict[str, int]:
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, f"exit {p.returncode}\n{out}\n{err}"
    assert "Traceback" not in out + err, err
    return json.loads(out.strip().splitlines()[-1])


def check_home(genv: Env, expected_dirs: int) -> None:
    """All runs present and whole, the index and `check` in agreement."""
    runs_dir = genv.runs_dir
    names = os.listdir(runs_dir)
    leftovers = [n for n in names if n.startswith(".")]
    assert not leftovers, leftovers
    ids = sorted(names)
    assert len(ids) == expected_dirs
    seen_ids = set()
    for rid in ids:
        attrs = runs_dir / rid / ".guild" / "attrs"
        files = os.listdir(attrs)
        assert not [f for f in files if f.startswith(".")], (rid, files)  # no temp file left
        for name in files:
            yaml.safe_load((attrs / name).read_text())  # every attribute file parses
        run_id = yaml.safe_load((attrs / "id").read_text())
        assert run_id == rid and run_id not in seen_ids
        seen_ids.add(run_id)
        assert yaml.safe_load((attrs / "exit_status").read_text()) == 0
    trash = genv.home / "trash" / "runs"
    assert not trash.exists() or not os.listdir(trash)
    rows = genv.rows()
    assert len(rows) == expected_dirs
    assert {r.status for r in rows} == {"completed"}
    assert sorted(genv.full_id(r.short) for r in rows) == ids
    res = genv.ok("check", "--no-repair")
    assert res.out.strip() == "No problems found.", res.out


def test_many_writers_one_home(genv: Env) -> None:
    stop = genv.tmp / "stop"
    writers = [_start(genv, "write", str(RUNS_EACH), str(PIPELINE_EVERY)) for _ in range(WRITERS)]
    listers = [_start(genv, "list", str(stop)) for _ in range(2)]
    churner = _start(genv, "churn", str(stop))
    made = [_finish(w) for w in writers]
    stop.write_text("")
    listed = [_finish(p) for p in listers]
    churned = _finish(churner)
    assert sum(m["runs"] for m in made) == WRITERS * RUNS_EACH
    assert all(x["listings"] > 0 for x in listed)
    assert churned["deleted"] > 0 and churned["restored"] > 0
    check_home(genv, sum(m["dirs"] for m in made))
