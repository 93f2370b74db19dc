"""Damaged runs: listing carries on and marks them, ``runs info`` explains,
``check`` reports, repairs what it can and changes nothing it cannot explain.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from reliability_support import Env, assert_clean_error


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _snapshot(home: Path) -> dict[str, str]:
    """Every path under the home (but the index, a cache) -> what it holds."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(home))
            if rel.startswith(("index.sqlite", "index.journal")):
                continue
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _marked(genv: Env) -> dict[str, str]:
    """Full id -> the damage the listing shows ('' when none)."""
    rows = genv.rows()
    out = {}
    for r in rows:
        out[genv.full_id(r.short)] = r.label[len("<damaged: "):-1] if r.label.startswith("<damaged: ") else ""
    return out


def test_damaged_runs(genv: Env) -> None:
    for i in range(6):
        genv.ok("run", "-y", "quick", f"msg=m{i}")
    genv.ok("run", "-y", "noops")
    quick = sorted(genv.ids_of("quick"), key=lambda r: genv.attr(r, "flags")["msg"])
    (pipe,) = genv.ids_of("noops")
    step = os.path.basename(os.readlink(genv.run_dir(pipe) / "noop"))
    runs = genv.runs_dir
    assert len(_marked(genv)) == 9  # the index knows them all

    # Damage the index notices by itself (files renamed or removed in attrs, folders gone).
    corrupt = runs / quick[0] / ".guild" / "attrs" / "exit_status"
    tmp = corrupt.with_name(".exit_status.new")
    tmp.write_text("exit_status: [unclosed\n")
    os.replace(tmp, corrupt)
    shutil.rmtree(runs / quick[1] / ".guild")
    shutil.rmtree(runs / quick[2] / ".guild" / "attrs")
    marked = _marked(genv)
    assert len(marked) == 9
    assert "corrupt attribute file" in marked[quick[0]]
    assert "missing .guild" in marked[quick[1]]
    assert "missing .guild/attrs" in marked[quick[2]]

    # Damage made in place, which the index learns of from `check`.
    (runs / quick[3] / ".guild" / "opref").unlink()
    (runs / quick[4] / ".guild" / "attrs" / "label").write_bytes(b"\xff\xfe not text")
    # A step link pointing outside the home (at a copy of the step run), and a link loop.
    outside = genv.tmp / "elsewhere" / step
    shutil.copytree(runs / step, outside, symlinks=True)
    link = runs / pipe / "noop"
    link.unlink()
    link.symlink_to(outside)
    os.symlink("loop2", runs / pipe / "loop1")
    os.symlink("loop1", runs / pipe / "loop2")
    # Leftovers check can repair: a crashed run's LOCK, an interrupted preparation.
    crashed = quick[5]
    (runs / crashed / ".guild" / "attrs" / "exit_status").unlink()
    (runs / crashed / ".guild" / "LOCK").write_text(f"{_dead_pid()} 1000.000\n")
    staging = runs / ".0123456789abcdef0123456789abcdef.prepare"
    (staging / ".guild" / "attrs").mkdir(parents=True)
    (staging / ".guild" / "PENDING").write_text(f"{_dead_pid()} 1000.000\n")

    # Listing carries on.
    res = genv.ok("runs", "-a")
    assert len(res.out.splitlines()) == 9
    assert genv.statuses()[crashed] == "error"

    # runs info reads the run afresh and says what is wrong.
    why = {
        quick[0]: "corrupt attribute file",
        quick[1]: "no .guild folder",
        quick[2]: "missing .guild/attrs",
        quick[3]: "missing .guild/opref",
        quick[4]: "not UTF-8",
        pipe: "points outside the home",
    }
    for rid, text in why.items():
        info = genv.ok("runs", "info", rid)
        damaged = [ln for ln in info.out.splitlines() if ln.startswith("damaged: ")]
        assert damaged and text in damaged[0], info.out
    assert "link loop1 loops" in genv.ok("runs", "info", pipe).out
    assert "damaged:" not in genv.ok("runs", "info", step).out
    genv.ok("runs", "info", pipe, "--json")

    # check --no-repair reports everything and changes nothing.
    before = _snapshot(genv.home)
    res = genv.gl("check", "--no-repair")
    assert_clean_error(res)
    for rid, text in why.items():
        assert any(rid in ln and text in ln for ln in res.out.splitlines()), (rid, res.out)
    assert f"run {crashed}: stale LOCK" in res.out
    assert "unfinished preparation" in res.out
    assert _snapshot(genv.home) == before

    # check repairs the index, the LOCK and the leftover, and changes nothing else.
    res = genv.gl("check")
    assert_clean_error(res)  # damaged runs are left unrepaired
    after = _snapshot(genv.home)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    lock = f"runs/{crashed}/.guild/LOCK"
    assert changed == {lock} | {k for k in before if k.startswith("runs/" + staging.name)}, changed
    repaired = [ln for ln in res.out.splitlines() if ln.startswith("repaired: ")]
    assert any(crashed in ln and "LOCK" in ln for ln in repaired)
    assert any(staging.name in ln for ln in repaired)
    assert genv.statuses()[crashed] == "error"

    # Now the listing marks what was damaged in place, too.
    marked = _marked(genv)
    assert "missing opref" in marked[quick[3]]
    assert "not UTF-8" in marked[quick[4]]
    assert not marked[step]

    # Nothing follows the bad links: ls ends, restart refuses and leaves the outside copy alone.
    genv.ok("ls", pipe)
    genv.ok("ls", "-L", pipe)
    outside_before = _snapshot(outside)
    home_before = _snapshot(genv.home)
    res = genv.gl("run", "--restart", pipe, "-y")
    assert_clean_error(res)
    assert "outside" in res.err
    assert _snapshot(outside) == outside_before
    assert _snapshot(genv.home) == home_before
    # A second check finds only what cannot be repaired.
    res = genv.gl("check", "--no-repair")
    assert "out of date" not in res.out and "stale LOCK" not in res.out


def test_corrupt_or_missing_index(genv: Env) -> None:
    """The index is a cache: garbage in it, or no index, and the listing is the same."""
    genv.ok("run", "-y", "quick")
    genv.ok("run", "-y", "noops")
    before = genv.statuses()
    assert len(before) == 4
    index = genv.home / "index.sqlite"
    for f in genv.home.glob("index.sqlite*"):
        f.unlink()
    index.write_bytes(b"this is not a database" * 100)
    assert genv.statuses() == before
    res = genv.ok("check", "--no-repair")
    assert res.out.strip() == "No problems found."
    for f in genv.home.glob("index.sqlite*"):
        f.unlink()
    assert genv.statuses() == before


def test_a_run_with_damaged_flags_does_not_block_needed_and_check_rebuilds_them(genv: Env) -> None:
    genv.ok("run", "-y", "quick", "msg=a")
    genv.ok("run", "-y", "quick", "msg=b")
    (rid,) = [r for r in genv.run_ids() if genv.attr(r, "flags") == {"msg": "a"}]
    flags = genv.run_dir(rid) / ".guild" / "attrs" / "flags"
    flags.write_text('{"msg": "a')  # truncated
    # --needed passes over the damaged run with a one-line warning and runs.
    res = genv.ok("run", "-y", "quick", "msg=a", "--needed")
    assert "quick: a" in res.out
    assert f"WARNING: skipping damaged run {rid[:8]}" in res.err
    # runs marks it.
    assert genv.statuses()[rid] == "error"
    assert "<damaged:" in genv.ok("runs").out
    # check names the fix, then makes it.
    res = genv.gl("check", "--no-repair")
    assert res.rc == 1 and f"run {rid}: its flags can be rebuilt from its attempts record" in res.out
    res = genv.ok("check")
    assert f"repaired: run {rid}: flags rebuilt from its attempts record" in res.out
    assert genv.attr(rid, "flags") == {"msg": "a"}
    assert genv.statuses()[rid] == "completed"
    res = genv.ok("run", "-y", "quick", "msg=a", "--needed")
    assert "Skipping because the following runs match" in res.out
