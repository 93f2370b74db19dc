"""guildlike and the real Guild AI 0.9.0 read, restart and move each other's runs."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest
from conftest import Homes

from guildlike.store import events

FIELDS = ["id", "operation", "from", "status", "started", "stopped", "label", "sourcecode_digest", "exit_status"]


def _fields(info: str) -> dict[str, str]:
    """``runs info`` lines as name -> value, with the flags as ``flags.NAME``."""
    out: dict[str, str] = {}
    section = ""
    for line in info.splitlines():
        if not line.startswith(" "):
            name, _, val = line.partition(":")
            section = name
            out[name] = val.strip()
        elif section == "flags":
            name, _, val = line.strip().partition(":")
            out[f"flags.{name}"] = val.strip()
    return out


def _same_info(a: str, b: str) -> None:
    fa, fb = _fields(a), _fields(b)
    for name in FIELDS + sorted(k for k in fa if k.startswith("flags.")):
        assert fa.get(name) == fb.get(name), (name, a, b)


# -- Guild's runs in guildlike -------------------------------------------------


def test_guildlike_lists_and_shows_guild_runs(guild_made: Homes, tmp_path: Path) -> None:
    h = guild_made.copy(tmp_path / "home")
    listed = h.ok_gl("runs").out
    assert listed == h.ok_guild("runs").out
    assert re.findall(r"\]  (\S+)", listed) == ["fit", "prep", "pipe", "train.py"]
    ids = h.ids()
    for op in ("train.py", "pipe"):
        _same_info(h.ok_gl("runs", "info", ids[op]).out, h.ok_guild("runs", "info", ids[op]).out)
    info = _fields(h.ok_gl("runs", "info", ids["train.py"]).out)
    assert info["flags.x"] == "3" and info["command"].split()[1:4] == ["-um", "guild.op_main", "train"]
    assert "damaged" not in info


def test_guildlike_restarts_guild_runs(guild_made: Homes, tmp_path: Path) -> None:
    h = guild_made.copy(tmp_path / "home")
    ids = h.ids()
    res = h.ok_gl("run", "--restart", ids["train.py"], "x=4", "-y")
    assert res.out == "loss: 0.4\n"
    assert _fields(h.ok_gl("runs", "info", ids["train.py"]).out)["flags.x"] == "4"
    res = h.ok_gl("run", "--restart", ids["pipe"], "-y")
    assert f"INFO: [guildlike] restarting prep: {ids['prep']}" in res.err
    assert f"INFO: [guildlike] restarting fit: {ids['fit']} lr=0.2" in res.err
    res = h.ok_gl("run", "--restart", ids["pipe"], "--needed", "-y")
    assert res.out == "Skipping run because flags have not changed (--needed specified)\n"  # all completed
    # Guild still reads them, and restarts the run guildlike restarted
    assert h.ok_gl("runs").out == h.ok_guild("runs").out
    assert h.ok_guild("run", "--restart", ids["train.py"], "x=6", "-y").out.strip() == "loss: 0.6"
    assert "x=6" in h.ok_gl("runs", "info", ids["train.py"]).out


def test_guild_archives_import_into_guildlike(guild_made: Homes, tmp_path: Path) -> None:
    h = guild_made.copy(tmp_path / "home")
    ids = h.ids()
    folder, zipped = tmp_path / "arch", tmp_path / "arch.zip"
    h.ok_guild("export", str(folder), "-y")
    h.ok_guild("export", str(zipped), ids["train.py"], "-y")
    assert (folder / ".guild-nocopy").is_file()
    assert h.ok_gl("runs", "list", "--archive", str(folder)).out == h.ok_guild(
        "runs", "list", "--archive", str(folder)).out
    other = Homes(h.project, tmp_path / "other")
    other.home.mkdir()
    res = other.ok_gl("import", str(folder), "-y")
    assert res.err.endswith(f"Imported 4 run(s) from {folder}\n"), res
    assert sorted(re.findall(r"Copying (\w+)", res.err)) == sorted(ids.values())
    assert other.ok_gl("runs").out == h.ok_gl("runs").out
    assert other.ok_gl("import", str(zipped), "-y").err == (
        f"WARNING: {ids['train.py']} exists, skipping\nImported 0 run(s) from {zipped}\n")
    third = Homes(h.project, tmp_path / "third")
    third.home.mkdir()
    assert third.ok_gl("import", str(zipped), "-y").err == (
        f"Copying {ids['train.py']}\nImported 1 run(s) from {zipped}\n")
    assert third.ok_gl("run", "--restart", ids["train.py"], "x=5", "-y").out == "loss: 0.5\n"


# -- guildlike's runs in Guild -------------------------------------------------


def test_guild_lists_and_shows_guildlike_runs(gl_made: Homes, tmp_path: Path) -> None:
    h = gl_made.copy(tmp_path / "home")
    assert h.ok_guild("runs").out == h.ok_gl("runs").out
    ids = h.ids()
    for op in ("train.py", "pipe"):
        shown = h.ok_guild("runs", "info", ids[op]).out
        _same_info(shown, h.ok_gl("runs", "info", ids[op]).out)
        # guildlike's own attributes (attempts, its op record, ...) are private to Guild
        names = [line.split(":")[0] for line in shown.splitlines() if not line.startswith(" ")]
        assert not set(names) - {*FIELDS, "marked", "vcs_commit", "run_dir", "command", "pid", "tags", "flags",
                                 "scalars", "steps"}, shown


def test_guild_restarts_guildlike_runs(gl_made: Homes, tmp_path: Path) -> None:
    h = gl_made.copy(tmp_path / "home")
    ids = h.ids()
    assert h.ok_guild("run", "--restart", ids["train.py"], "x=5", "-y").out.strip() == "loss: 0.5"
    info = _fields(h.ok_gl("runs", "info", ids["train.py"]).out)
    assert (info["status"], info["flags.x"]) == ("completed", "5")
    # Guild 0.9.0 restarts a pipeline with new step runs
    res = h.ok_guild("run", "--restart", ids["pipe"], "-y")
    assert "INFO: [guild] running prep: prep" in res.err and "running fit: fit lr=0.2" in res.err
    assert re.findall(r"\]  (\S+)", h.ok_gl("runs").out) == ["fit", "prep", "pipe", "train.py", "fit", "prep"]
    # and guildlike can still restart what Guild restarted
    assert h.ok_gl("run", "--restart", ids["train.py"], "x=7", "-y").out == "loss: 0.7\n"


def test_guildlike_archives_import_into_guild(gl_made: Homes, tmp_path: Path) -> None:
    h = gl_made.copy(tmp_path / "home")
    ids = h.ids()
    folder, zipped = tmp_path / "arch", tmp_path / "arch.zip"
    res = h.ok_gl("export", str(folder), ids["pipe"], "-y")
    assert f"Adding {ids['prep']} (a step of {ids['pipe']})" in res.err
    assert res.err.endswith(f"Exported 3 run(s) to {folder}\n")
    h.ok_gl("export", str(zipped), ids["train.py"], "-y")
    assert h.ok_guild("runs", "list", "--archive", str(folder)).out == h.ok_gl(
        "runs", "list", "--archive", str(folder)).out
    other = Homes(h.project, tmp_path / "other")
    other.home.mkdir()
    assert other.ok_guild("import", str(folder), "-y").err.endswith(f"Imported 3 run(s) from {folder}\n")
    assert other.ok_guild("import", str(zipped), "-y").err == (
        f"Copying {ids['train.py']}\nImported 1 run(s) from {zipped}\n")
    assert other.ok_guild("runs").out == h.ok_gl("runs").out
    assert (other.home / "runs" / ids["pipe"] / "prep").is_symlink()
    _same_info(other.ok_guild("runs", "info", ids["train.py"]).out, h.ok_gl("runs", "info", ids["train.py"]).out)


def test_guild_sees_guildlike_output_scalars(gl_made: Homes, tmp_path: Path) -> None:
    """guildlike writes a run's output scalars as an event file under .guild/, as Guild does:
    Guild's runs info and compare (and TensorBoard) read them."""
    if not events.available():
        pytest.skip(events.EXTRA_HINT)
    h = gl_made.copy(tmp_path / "home")
    ids = h.ids()
    assert "scalars:\n  loss: 0.300000 (step 0)\n" in h.ok_guild("runs", "info", ids["train.py"]).out
    rows = list(csv.DictReader(io.StringIO(h.ok_guild("compare", "--csv", "-", "-cc", "loss,loss step").out)))
    by_run = {r["run"]: r for r in rows}
    for op, loss in (("train.py", 0.3), ("fit", 0.2), ("prep", 0.2)):
        row = by_run[ids[op][:8]]
        assert math.isclose(float(row["loss"]), loss, rel_tol=1e-6) and row["loss step"] == "0", rows


def test_guildlike_sees_guild_output_scalars(guild_made: Homes, tmp_path: Path) -> None:
    """Guild keeps a run's output scalars in an event file under .guild/; guildlike's
    runs info and compare read it (with the tensorboard extra)."""
    if not events.available():
        pytest.skip(events.EXTRA_HINT)
    h = guild_made.copy(tmp_path / "home")
    ids = h.ids()
    assert "scalars:\n  loss: 0.300000 (step 0)\n" in h.ok_gl("runs", "info", ids["train.py"]).out
    rows = list(csv.DictReader(io.StringIO(h.ok_gl("compare", "--csv", "-", "-cc", "loss").out)))
    row = {r["run"]: r for r in rows}[ids["train.py"][:8]]
    assert math.isclose(float(row["loss"]), 0.3, rel_tol=1e-6), rows
