"""Archives in Guild's layout, and run attributes as Guild reads them (without Guild itself:
tests/interop checks the same against the real Guild)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

TRAIN = 'x = 1\nlr = 0.1\nprint("loss: %s" % round(x * lr, 6))\n'
GUILD_YML = "prep:\n  main: train\n  flags:\n    x: 2\nfit:\n  main: train\npipe:\n  steps:\n    - prep\n    - fit\n"


def gl(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    res = subprocess.run([sys.executable, "-m", "guildlike", *args], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=120, stdin=subprocess.DEVNULL)
    return res


def ok(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    res = gl(home, cwd, *args)
    assert res.returncode == 0, (args, res.stdout, res.stderr)
    return res


@pytest.fixture()
def made(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A home with a script run and a pipeline of two steps: (home, project, op -> run id)."""
    project, home = tmp_path / "proj", tmp_path / "home"
    project.mkdir()
    (project / "train.py").write_text(TRAIN)
    (project / "guild.yml").write_text(GUILD_YML)
    ok(home, project, "run", "train.py", "x=3", "-y")
    ok(home, project, "run", "pipe", "-y")
    ids = {}
    for rid in os.listdir(home / "runs"):
        ids[(home / "runs" / rid / ".guild" / "opref").read_text().split()[-1]] = rid
    return home, project, ids


def test_export_writes_guilds_layout_and_says_what_it_adds(made: tuple[Path, Path, dict[str, str]],
                                                          tmp_path: Path) -> None:
    home, project, ids = made
    dest = tmp_path / "arch"
    res = ok(home, project, "export", str(dest), ids["pipe"], "-y")
    steps = sorted([ids["prep"], ids["fit"]])
    assert sorted(os.listdir(dest)) == sorted([".guild-nocopy", ids["pipe"], *steps])
    assert (dest / ".guild-nocopy").read_bytes() == b""
    assert os.readlink(dest / ids["pipe"] / "prep") == f"../{ids['prep']}"
    lines = res.stderr.splitlines()
    assert sorted(lines[:2]) == sorted(f"Adding {rid} (a step of {ids['pipe']})" for rid in steps)
    assert sorted(lines[2:5]) == sorted(f"Copying {rid}" for rid in [ids["pipe"], *steps])
    assert lines[5:] == [f"Exported 3 run(s) to {dest}"]
    again = ok(home, project, "export", str(dest), ids["prep"], "-y").stderr
    assert again == f"WARNING: {dest}/{ids['prep']} exists, skipping\nExported 0 run(s) to {dest}\n"
    zipped = tmp_path / "arch.zip"
    ok(home, project, "export", str(zipped), ids["train.py"], "-y")
    res = ok(home, project, "export", str(zipped), "-y")  # added to: the run there is skipped
    assert f"WARNING: {ids['train.py']} exists, skipping" in res.stderr
    assert res.stderr.endswith(f"Exported 3 run(s) to {zipped}\n")
    with zipfile.ZipFile(zipped) as zf:
        assert {n.split("/")[0] for n in zf.namelist()} == set(ids.values())


def test_import_lists_selects_and_moves(made: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    home, project, ids = made
    dest = tmp_path / "arch"
    ok(home, project, "export", str(dest), "-y")
    listed = ok(home, project, "runs", "list", "--archive", str(dest)).stdout
    assert listed == ok(home, project, "runs").stdout
    other = tmp_path / "other"
    # index 3 is the pipeline: its steps come with it
    res = ok(other, project, "import", str(dest), "3", "-y")
    assert res.stderr.splitlines()[-1] == f"Imported 3 run(s) from {dest}"
    assert sorted(os.listdir(other / "runs")) == sorted([ids["pipe"], ids["prep"], ids["fit"]])
    res = ok(other, project, "import", str(dest), "-m", "-y")
    assert sorted(res.stderr.splitlines()) == sorted(
        [f"Imported 1 run(s) from {dest}", f"Moving {ids['train.py']}"]
        + [f"WARNING: {ids[op]} exists, skipping" for op in ("pipe", "prep", "fit")])
    assert not (dest / ids["train.py"]).exists() and (dest / ids["pipe"]).is_dir()
    ok(home, project, "export", str(tmp_path / "a.zip"), "-y")
    res = gl(other, project, "import", str(tmp_path / "a.zip"), "-m", "-y")
    assert (res.returncode, res.stderr) == (1, "guildlike: '--move' cannot be used with zip archives\n")
    before = sorted(os.listdir(other / "runs"))
    res = gl(other, project, "import", str(dest), "--replace")  # asks first; no answer changes nothing
    assert "You are about to import (copy) the following runs from" in res.stderr and res.returncode != 0
    assert sorted(os.listdir(other / "runs")) == before


def test_attributes_only_guildlike_uses_are_private_to_guild(made: tuple[Path, Path, dict[str, str]]) -> None:
    home, _project, ids = made
    attrs = home / "runs" / ids["train.py"] / ".guild" / "attrs"
    names = set(os.listdir(attrs))
    assert {"_op", "_attempts", "_sourcecode", "op", "cmd", "flags", "started", "exit_status"} <= names
    assert not names & {"attempts", "sourcecode", "label_template", "parent"}
    guild_op = json.loads((attrs / "op").read_text())
    assert guild_op["op-cmd"]["cmd-args"] == ["${python_exe}", "-um", "guild.op_main", "train", "--", "__flag_args__"]
    pipe = home / "runs" / ids["pipe"] / ".guild" / "attrs"
    assert json.loads((pipe / "steps").read_text()) == ["prep", "fit"]
    assert (home / "runs" / ids["prep"] / ".guild" / "attrs" / "_parent").is_file()


def test_runs_written_before_and_runs_of_guild_restart(made: tuple[Path, Path, dict[str, str]]) -> None:
    home, project, ids = made
    # a run as earlier guildlike versions wrote it: its own attributes under the plain names
    attrs = home / "runs" / ids["train.py"] / ".guild" / "attrs"
    for name in ("op", "attempts", "sourcecode"):
        os.replace(attrs / f"_{name}", attrs / name)
    assert ok(home, project, "run", "--restart", ids["train.py"], "x=4", "-y").stdout == "loss: 0.4\n"
    assert len(json.loads(ok(home, project, "runs", "log", ids["train.py"], "--json").stdout)["attempts"]) == 2
    # a run as Guild writes it: no guildlike record, so the op comes from the project through the opref
    attrs = home / "runs" / ids["prep"] / ".guild" / "attrs"
    (attrs / "_op").unlink()
    (attrs / "op").write_text("op-cmd:\n  cmd-args: [python]\n")
    assert ok(home, project, "run", "--restart", ids["prep"], "x=5", "-y").stdout == "loss: 0.5\n"
    res = gl(home, project.parent, "run", "--restart", ids["prep"], "-y")
    assert res.returncode == 0  # the project is found at the place the opref names
    os.rename(project, project.with_name("moved"))
    res = gl(home, project.parent, "run", "--restart", ids["prep"], "-y")
    assert res.returncode == 1 and res.stderr == (
        f"guildlike: cannot restart run {ids['prep']}: its operation cannot be found (its project {project} "
        "is not here)\n")
