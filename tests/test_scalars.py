"""Scalars: series and summaries, event files, the index's summaries, `guildlike tensorboard`."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from guildlike.context import Context
from guildlike.store import events, index, run_scalars, scalar_index, series

BIN = Path(sys.executable).parent / "guildlike"
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "projects" / "scalars"


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GUILDLIKE_HOME"] = str(home)
    env["PATH"] = f"{BIN.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _guildlike(home: Path, *args: str) -> str:
    p = subprocess.run(
        [str(BIN), *args], cwd=SAMPLE, env=_env(home), capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_written_event_file_reads_back_through_tensorboard(tmp_path: Path) -> None:
    """Our event file, read by TensorBoard's loader (which checks every record's CRC):
    every point back in order, NaN and inf, keys with '/'; a damaged record ends the read."""
    pytest.importorskip("tensorboard", reason=events.EXTRA_HINT)
    points = [("loss", i, 1.0 / (i + 1), 100.0 + i) for i in range(500)]
    points += [("val/acc", 3, math.nan, 7.5), ("b", 1, math.inf, 8.0), ("b", 2, -math.inf, 9.0)]
    path = events.write(tmp_path, points)
    back = events.read(path)
    assert [(k, s, t) for k, s, _v, t in back] == [(k, s, t) for k, s, _v, t in points]
    for (_k, _s, want, _t), (_k2, _s2, got, _t2) in zip(points, back, strict=True):
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-6)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert 0 < len(events.read(path)) < len(points)


def test_event_records_are_framed_alike_without_the_c_crc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without google-crc32c (tensorboard installed alone) TensorBoard's own CRC frames
    the records: the same bytes, only slower."""
    pytest.importorskip("tensorboard", reason=events.EXTRA_HINT)
    payloads = [b"", b"one event", bytes(range(256)) * 3]
    with_c = b"".join(events._records(payloads))
    monkeypatch.setitem(sys.modules, "google_crc32c", None)  # import fails
    assert b"".join(events._records(payloads)) == with_c


def _own_event_points(run_dir: Path) -> list[series.Point]:
    """The points of the run's own event file, values as the series keeps them
    (event files hold 32-bit floats)."""
    files = sorted((run_dir / ".guild").glob("*.tfevents.*" + events.OWN_SUFFIX))
    assert len(files) == 1, files
    kept = series.read(run_dir)
    found = events.read(files[0])
    assert len(found) == len(kept)
    for (_k, _s, got, _t), (_k2, _s2, want, _t2) in zip(found, kept, strict=True):
        assert got == pytest.approx(want, rel=1e-6)
    return [(k, s, want, t) for (k, s, _v, t), (_k, _s, want, _t) in zip(found, kept, strict=True)]


def test_a_run_writes_its_series_as_an_event_file_and_a_restart_replaces_it(tmp_path: Path) -> None:
    """The tee writes the output scalars to the event file while the run runs: the
    same points as the series, times included; a restart's file holds only its own."""
    pytest.importorskip("tensorboard", reason=events.EXTRA_HINT)
    home = tmp_path / "home"
    _guildlike(home, "run", "fit", "epochs=3", "-y")
    (run_dir,) = (home / "runs").iterdir()
    first = _own_event_points(run_dir)
    assert first == series.read(run_dir)
    assert [(k, s) for k, s, _v, _t in first] == [(k, s) for s in range(3) for k in ("loss", "acc")]
    _guildlike(home, "run", "--restart", run_dir.name, "epochs=1", "-y")
    again = _own_event_points(run_dir)
    assert again == series.read(run_dir) and [(k, s) for k, s, _v, _t in again] == [("loss", 0), ("acc", 0)]


def test_the_summary_the_tee_sums_up_is_the_series_summary(tmp_path: Path) -> None:
    """The run's end takes its summary from what the tee added up while the run ran:
    the same as summing up the series file (NaN and infinities included)."""
    home = tmp_path / "home"
    _guildlike(home, "run", "odd", "-y")
    _guildlike(home, "run", "fit", "epochs=4", "-y")
    for run_dir in (home / "runs").iterdir():
        kept = {k: s.as_dict() for k, s in series.summarize(series.read(run_dir)).items()}
        stored = json.loads((run_dir / ".guild" / "scalars.json").read_text())
        assert kept and json.dumps(stored, sort_keys=True) == json.dumps(kept, sort_keys=True)


def test_summaries_ignore_nan_and_keep_infinities() -> None:
    points = [("a", 0, 1.0, 0.0), ("a", 1, math.nan, 0.0), ("a", 2, 3.0, 0.0), ("b", 5, math.inf, 0.0)]
    found = series.summarize(points)
    assert found["a"] == series.Summary(first=1.0, last=3.0, min=1.0, max=3.0, avg=2.0, count=3, step=2, total=4.0)
    assert found["b"].max == math.inf and found["b"].step == 5
    nan_only = series.summarize([("n", 0, math.nan, 0.0)])["n"]
    assert math.isnan(nan_only.min) and math.isnan(nan_only.avg) and math.isnan(nan_only.total)
    assert nan_only.count == 1


def test_series_file_round_trips_and_skips_a_cut_line(tmp_path: Path) -> None:
    (tmp_path / ".guild").mkdir()
    w = series.SeriesWriter(tmp_path)
    w.add("val/acc", 3, math.nan, 12.5)
    w.add("x\ty", 4, -math.inf, 13.0)
    w.close()
    with open(series.series_path(tmp_path), "a") as f:
        f.write("9\t1.0\t14.0")  # a line cut short by a crash
    got = series.read(tmp_path)
    assert [(k, s) for k, s, _, _ in got] == [("val/acc", 3), ("x y", 4)]
    assert math.isnan(got[0][2]) and got[1][2] == -math.inf


def test_event_files_written_with_tensorboardx_are_read(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="needs pip install 'guildlike[tensorboard]'")
    writer_mod = pytest.importorskip("tensorboardX", reason="tensorboardX writes the event files")
    run_dir = tmp_path / "run"
    (run_dir / ".guild").mkdir(parents=True)
    writer = writer_mod.SummaryWriter(str(run_dir / "logs" / "train"))
    for step in range(4):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalar("weird", math.nan if step == 1 else float(step), step)
    writer.close()
    found = run_scalars.compute(None, run_dir)
    assert set(found) == {"train/loss", "weird"}
    assert found["train/loss"].count == 4 and found["train/loss"].step == 3
    assert found["train/loss"].last == pytest.approx(0.25)
    assert found["weird"].max == 3.0 and found["weird"].count == 4


def test_index_keeps_summaries_of_finished_runs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _guildlike(home, "run", "odd", "-y")
    _guildlike(home, "run", "fit", "lr=0.3", "-y")
    ctx = Context(home=home, cwd=SAMPLE)
    ids = sorted(os.listdir(home / "runs"))
    scalar_index.summaries(ctx, ids)
    time.sleep(0.5)  # rows read within 200 ms of a change are read again once
    first = scalar_index.summaries(ctx, ids)
    # From the index, not the folders: the files can go and the summaries stay.
    for rid in ids:
        guild_dir = home / "runs" / rid / ".guild"
        for name in os.listdir(guild_dir):
            if name in ("scalars.json", "series.tsv") or ".tfevents." in name:
                (guild_dir / name).unlink()
    again = scalar_index.summaries(ctx, ids + ["nosuchrun"])
    assert again["nosuchrun"] == {}
    odd = next(s for s in again.values() if "val/acc" in s)
    assert math.isnan(odd["loss"].last) and odd["acc"].last == math.inf and odd["val/acc"].last == -math.inf
    assert list(odd) == sorted(odd)
    assert {k: repr(v) for k, v in first.items()} == {k: repr(again[k]) for k in ids}
    # Last values only (a table of last values): the same last values, steps and key order.
    light = scalar_index.summaries(ctx, ids, last_only=True)
    assert {k: [(key, repr(s.last), s.step) for key, s in v.items()] for k, v in light.items()} == {
        k: [(key, repr(s.last), s.step) for key, s in again[k].items()] for k in ids}
    # Sorting by a scalar with NaN and infinities does not fail.
    conn = index.open_index(ctx)
    assert conn is not None
    rows = conn.execute("SELECT run_id, last FROM scalars WHERE key = 'loss' ORDER BY last").fetchall()
    conn.close()
    assert [r[1] for r in rows][0] is None  # NaN is stored as NULL, first in order


def test_runs_info_json_is_strict_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _guildlike(home, "run", "odd", "-y")
    text = _guildlike(home, "runs", "info", "--json")

    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    doc = json.loads(text, parse_constant=no_constants)
    assert doc["scalars"]["acc"]["value"] == "inf" and doc["scalars"]["loss"]["value"] is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_tensorboard_serves_the_runs_on_localhost(tmp_path: Path) -> None:
    if not events.available():
        pytest.skip("needs pip install 'guildlike[tensorboard]'")
    home = tmp_path / "home"
    _guildlike(home, "run", "fit", "-y")
    run_id = os.listdir(home / "runs")[0]
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN), "tensorboard", "--port", str(port)], cwd=SAMPLE, env=_env(home),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        runs = None
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=5) as r:
                    runs = json.loads(r.read())
                if runs:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert runs is not None, proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
        assert f"{run_id[:8]} fit epochs=2 lr=0.1/.guild" in runs
    finally:
        proc.terminate()
        proc.wait(60)
    assert proc.returncode == 0
