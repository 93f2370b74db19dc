"""compare's cell formats and its reading of damaged scalar files, with real run folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from guildlike.cli import compare_fmt


def test_floats_are_cut_not_rounded() -> None:
    assert compare_fmt.table_cell(0.8999999761581421) == "0.899999"
    assert compare_fmt.table_cell(0.5) == "0.5"
    assert compare_fmt.table_cell(1.0) == "1.0"
    assert compare_fmt.table_cell(float("nan")) == ""
    assert compare_fmt.table_cell(float("-inf")) == "-.inf"
    assert compare_fmt.table_cell(True) == "yes"
    assert compare_fmt.csv_cell(0.8999999761581421) == "0.8999999761581421"
    assert compare_fmt.csv_cell(True) == "True"
    assert compare_fmt.csv_text(["a"], [['x, "y"']]) == 'a\n"x, ""y"""\n'


def _run_dir(home: Path, rid: str, scalars: str, started: int) -> None:
    d = home / "runs" / rid / ".guild"
    (d / "attrs").mkdir(parents=True)
    (d / "attrs" / "started").write_text(f"{started}\n")
    (d / "attrs" / "flags").write_text("x: 1\n")
    (d / "attrs" / "exit_status").write_text("0\n")
    (d / "opref").write_text("guildfile:/nowhere/guild.yml '' '' op\n")
    (d / "scalars.json").write_text(scalars)


def test_damaged_and_odd_scalar_files_never_break_a_sort(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _run_dir(home, "a" * 32, json.dumps({"loss": {"last": 2.0, "step": 1}}), 1_800_000_000_000_000)
    _run_dir(home, "b" * 32, "{not json", 1_800_000_001_000_000)
    _run_dir(home, "c" * 32, json.dumps({"loss": {"last": "text"}, "bad": 3}), 1_800_000_002_000_000)
    _run_dir(home, "d" * 32, '{"loss": {"last": NaN}}', 1_800_000_003_000_000)
    _run_dir(home, "e" * 32, json.dumps({"loss": {"last": 1}}), 1_800_000_004_000_000)
    p = subprocess.run(
        [sys.executable, "-m", "guildlike", "compare", "--min", "loss", "--csv", "-", "-cc", "loss"],
        env={"GUILDLIKE_HOME": str(home), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "run,loss"
    # Numbers first (whether a summary comes from the index, as floats, or from
    # the run's file), then NaN, then text (the index keeps numbers only), then missing.
    assert [line.split(",")[0] for line in lines[1:]] == ["eeeeeeee", "aaaaaaaa", "dddddddd", "cccccccc", "bbbbbbbb"]
    assert float(lines[1].split(",")[1]) == 1 and float(lines[2].split(",")[1]) == 2
    assert lines[3] == "dddddddd," and lines[4] in ("cccccccc,text", "cccccccc,") and lines[5] == "bbbbbbbb,"


def _compare(home: Path, *args: str) -> list[str]:
    p = subprocess.run(
        [sys.executable, "-m", "guildlike", "compare", "--csv", "-", *args],
        env={"GUILDLIKE_HOME": str(home), "PATH": "/usr/bin:/bin"}, cwd=home.parent, capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def test_time_as_guild_and_totals(tmp_path: Path) -> None:
    home = tmp_path / "home"
    start = 1_800_000_000_000_000
    summary = {"loss": {"first": 0.5, "last": 0.25, "min": 0.25, "max": 0.5, "avg": 0.375, "count": 2, "step": 1}}
    _run_dir(home, "a" * 32, json.dumps(summary), start)
    (home / "runs" / ("a" * 32) / ".guild" / "attrs" / "stopped").write_text(f"{start + 3_723_000_000}\n")
    # Ended (exit status 1) without a stop time: Guild shows no time, not the time since it started.
    _run_dir(home, "b" * 32, "{}", start + 1_000_000)
    (home / "runs" / ("b" * 32) / ".guild" / "attrs" / "exit_status").write_text("1\n")
    lines = _compare(home, "-cc", ".time,total loss,avg loss,count loss")
    assert lines == ["run,time,loss", "bbbbbbbb,,", "aaaaaaaa,1:02:03,0.75"]  # one header per scalar: the first wins
    lines = _compare(home, "-cc", ".time,total loss as t,avg loss as a,count loss as n,min loss")
    # An older summary without a total: avg times count (exact when no value was NaN).
    assert lines == ["run,time,t,a,n,loss", "bbbbbbbb,,,,,", "aaaaaaaa,1:02:03,0.75,0.375,2,0.25"]


def test_flags_from_the_index_follow_changes_and_damage(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _run_dir(home, "a" * 32, "{}", 1_800_000_000_000_000)
    _run_dir(home, "b" * 32, "{}", 1_800_000_001_000_000)
    assert _compare(home, "-cc", "=x") == ["run,x", "bbbbbbbb,1", "aaaaaaaa,1"]
    attrs = home / "runs" / ("a" * 32) / ".guild" / "attrs"
    (attrs / "flags.tmp").write_text("x: 2\nd: 2026-01-02\n")
    (attrs / "flags.tmp").rename(attrs / "flags")  # as any tool writes: a new file renamed in place
    battrs = home / "runs" / ("b" * 32) / ".guild" / "attrs"
    (battrs / "flags.tmp").write_text("{x: [")  # damaged (an edit in place is found by `check`, not listings)
    (battrs / "flags.tmp").rename(battrs / "flags")
    # A damaged run is still a row (its flags empty); a date is read from the file as YAML says.
    assert _compare(home, "-cc", "=x,=d") == ["run,x,d", "bbbbbbbb,,", "aaaaaaaa,2,2026-01-02"]
    assert _compare(home)[0] == "run,operation,started,time,status,label,d,x"
