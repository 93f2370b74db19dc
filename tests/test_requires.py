"""requires: sources parsed, file sources kept inside the project, the run
chosen, the choice not passed to the script, and restarts re-resolving."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guildlike.errors import DependencySourceError, GuildfileError
from guildlike.guildfile import deps
from guildlike.guildfile.opdef import OpDef
from guildlike.ops import depfiles, needed, requires
from guildlike.store.run import Run

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "projects" / "requires"
GUILDLIKE = str(Path(sys.executable).parent / "guildlike")


def test_parse_sources() -> None:
    src = deps.parse_source("file:data/cfg.txt")
    assert (src.kind, src.target, src.uri, src.res_name) == ("file", "data/cfg.txt", "file:data/cfg.txt", "file:data/cfg.txt")
    src = deps.parse_source({"operation": "prep", "name": "p", "select": "a.*", "rename": "a b"})
    assert (src.res_name, src.flag_name, src.select, src.rename) == ("p", "p", ("a.*",), ("a", "b"))
    assert deps.parse_source("prep").uri == "operation:prep"


@pytest.mark.parametrize(
    "bad",
    [
        {"file": "x", "target-path": "../out"},
        {"file": "x", "target-path": "/abs"},
        {"file": "x", "select": "("},
        {"file": "x", "rename": "onlyone"},
        {"operation": "a", "file": "b"},
        {"file": "x", "frobnicate": 1},
        42,
    ],
)
def test_bad_sources_are_guildfile_errors(bad: object) -> None:
    with pytest.raises(GuildfileError):
        deps.parse_source(bad)


def test_flag_aliases_and_script_flags() -> None:
    op = OpDef(name="train", requires=[{"operation": "prep"}, {"operation": "other", "name": "o"}, "file:x"])
    assert deps.flag_aliases(op) == {"operation:prep": "operation:prep", "prep": "operation:prep", "o": "o"}
    flags = {"operation:prep": "abc", "o": "def", "lr": 1}
    assert deps.script_flags(op, flags) == {"lr": 1}


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    (proj / "data" / "ok.txt").write_text("ok\n")
    return proj


def test_symlink_out_of_project_is_refused(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("secret\n")
    os.symlink(secret, proj / "data" / "leak.txt")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with pytest.raises(DependencySourceError, match="links outside the project"):
        depfiles.resolve_file(proj, run_dir, deps.parse_source("file:data"))
    with pytest.raises(DependencySourceError, match="outside the project"):
        depfiles.resolve_file(proj, run_dir, deps.parse_source("file:data/leak.txt"))
    assert os.listdir(run_dir) == []


def test_path_out_of_project_is_refused(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    (tmp_path / "other.txt").write_text("x\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    for target in ("../other.txt", str(tmp_path / "other.txt")):
        with pytest.raises(DependencySourceError) as e:
            depfiles.resolve_file(proj, run_dir, deps.parse_source({"file": target}))
        assert not e.value.missing
    assert os.listdir(run_dir) == []


def test_upstream_ids_read_guild_and_old_formats() -> None:
    new = {"operation:prep": {"operation:prep": {"config": "abc", "paths": [], "uri": "operation:prep"}},
           "file:x": {"file:x": {"paths": ["../x"], "uri": "file:x"}}, "file:y": {}}
    assert requires.upstream_ids(new) == [("operation:prep", "abc")]
    assert requires.upstream_ids({"prep": {"run": "def", "paths": []}}) == [("prep", "def")]
    assert requires.upstream_ids(["junk"]) == []


def test_needed_reads_the_new_deps_format(tmp_path: Path) -> None:
    run = Run("r1", tmp_path / "r1")
    (run.path / ".guild" / "attrs").mkdir(parents=True)
    run.set("deps", {"operation:prep": {"operation:prep": {"config": "up1", "paths": [], "uri": "operation:prep"}}})
    assert needed.upstream_reason(run, {"up1": "prep"}, None) == "upstream step prep reran with new output"
    assert needed.upstream_reason(run, {}, ["other"]) == "upstream step operation:prep was replaced"
    assert needed.upstream_reason(run, {}, ["up1"]) is None


def _cli(proj: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    return subprocess.run([GUILDLIKE, *args], cwd=proj, env=env, capture_output=True, text=True, timeout=120)


def _attr(home: Path, proj: Path, spec: str, name: str) -> object:
    run_dir = _cli(proj, home, "select", spec, "--dir").stdout.strip()
    return json.loads((Path(run_dir) / ".guild" / "attrs" / name).read_text())


def test_restart_re_resolves_unless_the_user_chose(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    shutil.copytree(SAMPLE, proj)
    home = tmp_path / "home"
    assert _cli(proj, home, "run", "prep", "-y").returncode == 0
    first = _cli(proj, home, "select", "1").stdout.strip()
    assert _cli(proj, home, "run", "train", "-y").returncode == 0
    train = _cli(proj, home, "select", "1").stdout.strip()
    cmd = _attr(home, proj, train, "cmd")
    assert "operation:prep" not in " ".join(cmd)  # type: ignore[arg-type]
    assert _cli(proj, home, "run", "prep", "rate=0.9", "-y").returncode == 0
    second = _cli(proj, home, "select", "1").stdout.strip()
    out = _cli(proj, home, "run", "--restart", train, "-y")
    assert f"Using run {second} for operation:prep" in out.stderr
    assert "rate 0.9" in out.stdout
    out = _cli(proj, home, "run", "--restart", train, f"prep={first[:6]}", "-y")
    assert f"Using run {first} for operation:prep" in out.stderr
    assert _attr(home, proj, train, "user_flags") == {"prep": first[:6]}
    out = _cli(proj, home, "run", "--restart", train, "-y")  # the typed choice stays
    assert f"Using run {first} for operation:prep" in out.stderr
