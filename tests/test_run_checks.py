"""run checks what it can before it asks or changes anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def gl(home: Path, cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "guildlike", *args], cwd=cwd, env=env, input=stdin,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(ROOT / "samples" / "projects" / "basics", dest)
    return dest


def test_errors_come_before_the_question(tmp_path: Path, project: Path) -> None:
    home = tmp_path / "home"
    for args in (["run", "nosuchop"], ["run", "bake", "loaves=x"], ["run", "--restart", "nosuch"]):
        res = gl(home, project, *args, stdin="y\n")
        assert res.returncode == 1
        assert "Continue?" not in res.stderr and res.stderr.startswith("guildlike: ")


def test_question_shows_every_flag(tmp_path: Path, project: Path) -> None:
    res = gl(tmp_path / "home", project, "run", "bake", "loaves=3", stdin="n\n")
    assert res.returncode == 0
    assert "You are about to run bake\n  crusty: no\n  loaves: 3\n" in res.stderr


def test_restart_option_needs_a_run_and_refuses_stage(tmp_path: Path, project: Path) -> None:
    assert gl(tmp_path / "h", project, "run", "--restart", "-y").returncode == 2
    res = gl(tmp_path / "h", project, "run", "--restart", "1", "--stage", "-y")
    assert res.returncode == 2 and "--stage cannot be used" in res.stderr


def test_restart_of_a_run_with_a_damaged_attribute_changes_nothing(tmp_path: Path, project: Path) -> None:
    home = tmp_path / "home"
    assert gl(home, project, "run", "bake", "-y").returncode == 0
    (run_dir,) = (home / "runs").iterdir()
    (run_dir / ".guild" / "attrs" / "_attempts").write_bytes(b"\xff\xfe")
    before = {p.relative_to(run_dir): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    res = gl(home, project, "run", "--restart", run_dir.name, "-y")
    assert res.returncode == 1 and "cannot restart run" in res.stderr
    after = {p.relative_to(run_dir): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert after == before
