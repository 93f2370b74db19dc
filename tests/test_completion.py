"""Shell completion, run as a shell runs it: a real ``guildlike`` process with
click's completion variables set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUILDLIKE = str(Path(sys.executable).parent / "guildlike")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("completion")
    proj = tmp / "proj"
    shutil.copytree(ROOT / "samples" / "projects" / "basics", proj)
    home = tmp / "home"
    for args in (["weigh", "--run-id", "aaaa0001"], ["fit", "--run-id", "abcd0002"], ["count.py", "--run-id", "bbbb0003"]):
        subprocess.run([GUILDLIKE, "run", *args, "-q", "-y"], cwd=proj, env=_env(home), check=True)
    return proj, home


def _env(home: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, GUILDLIKE_HOME=str(home), **extra)


def complete(project: tuple[Path, Path], line: str, shell: str = "bash") -> list[str]:
    """What the shell gets for the last word of ``line`` (a trailing space: a new word)."""
    proj, home = project
    words = line.split(" ")
    env = _env(home, _GUILDLIKE_COMPLETE=f"{shell}_complete", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    p = subprocess.run([GUILDLIKE], cwd=proj, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return [line for line in p.stdout.splitlines() if line]


def test_commands(project: tuple[Path, Path]) -> None:
    assert complete(project, "guildlike ma") == ["plain,mark"]
    assert "plain,completion" in complete(project, "guildlike co")


def test_operations_of_the_project(project: tuple[Path, Path]) -> None:
    got = complete(project, "guildlike run ")
    assert {"plain,bake", "plain,weigh", "plain,fail", "plain,count.py"} <= set(got)
    assert complete(project, "guildlike run wei") == ["plain,weigh", "plain,weight", "plain,weigh.py"]


def test_flags_of_the_chosen_operation(project: tuple[Path, Path]) -> None:
    got = complete(project, "guildlike run bake ")
    assert got == ["plain,crusty=", "plain,loaves=", "plain,note=", "plain,oven=", "plain,temp="]
    assert complete(project, "guildlike run bake loaves=3 l") == []
    assert complete(project, "guildlike run bake lo") == ["plain,loaves="]
    assert complete(project, "guildlike run nosuch ") == []


def test_runs_by_index_and_id(project: tuple[Path, Path]) -> None:
    assert complete(project, "guildlike runs info ") == ["plain,1", "plain,2", "plain,3"]
    assert complete(project, "guildlike select a") == ["plain,abcd0002", "plain,aaaa0001"]  # newest first
    assert complete(project, "guildlike label --set x bb") == ["plain,bbbb0003"]
    assert complete(project, "guildlike run --restart ab") == ["plain,abcd0002"]


def test_zsh_shows_what_each_run_is(project: tuple[Path, Path]) -> None:
    got = complete(project, "guildlike ls 3", shell="zsh")
    assert got == ["plain", "3", "weigh completed grams=250.0 scale=kitchen"]


def test_no_project_and_no_home_complete_nothing(tmp_path: Path) -> None:
    assert complete((tmp_path, tmp_path / "nohome"), "guildlike run ") == []
    assert complete((tmp_path, tmp_path / "nohome"), "guildlike cat ") == []


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "#compdef guildlike"),
                                           ("fish", "complete --no-files --command guildlike")])
def test_completion_prints_a_script(tmp_path: Path, shell: str, marker: str) -> None:
    p = subprocess.run([GUILDLIKE, "completion", "--shell", shell], capture_output=True, text=True, check=True)
    assert marker in p.stdout and "_GUILDLIKE_COMPLETE" in p.stdout
