"""A full disk and a read-only home: a clear one-line error, a non-zero exit,
no traceback, and the runs already there intact (listed with the same status).

The home is a tiny tmpfs mounted in a private mount namespace
(``unshare -rm``); the test is skipped, saying why, where that is not allowed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any

import pytest

from reliability_support import HERE, Env, Result, assert_clean_error, parse_rows

SIZE = "2m"


def _namespace_ok(tmp: Any) -> str | None:
    """None when unshare + mount work here, else why not."""
    if not shutil.which("unshare"):
        return "unshare is not installed"
    d = tmp / "probe"
    d.mkdir()
    p = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{d}'"],
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        return f"cannot mount a tmpfs in a user+mount namespace: {p.stderr.strip() or p.returncode}"
    return None


@pytest.fixture
def scenario(genv: Env) -> dict[str, Any]:
    why = _namespace_ok(genv.tmp)
    if why:
        pytest.skip(why)
    genv.home.mkdir()
    out = genv.tmp / "scenario.json"
    script = (
        f"mount -t tmpfs -o size={SIZE} tmpfs '{genv.home}' && "
        f"exec '{sys.executable}' '{HERE / 'fs_scenario.py'}' '{genv.home}' '{genv.project}' '{out}'"
    )
    p = subprocess.run(["unshare", "-rm", "sh", "-c", script], env=genv.environ(), capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(out.read_text())


def _res(d: dict[str, Any]) -> Result:
    return Result(d["rc"], d["out"], d["err"])


def _statuses(d: dict[str, Any]) -> dict[str, str]:
    return {r.short: r.status for r in parse_rows(d["out"])}


def test_full_disk_and_read_only_home(scenario: dict[str, Any]) -> None:
    for d in scenario["setup"]:
        assert d["rc"] == 0, d
    base = _statuses(scenario["baseline"])
    assert len(base) == 5 and set(base.values()) == {"completed"}

    # A full disk: each command fails in one clear line, nothing changes.
    assert scenario["filled"] > 0
    for d in scenario["full"]:
        assert_clean_error(_res(d))
    assert "no space left on device" in scenario["full"][0]["err"]
    assert scenario["full_list"]["rc"] == 0
    assert _statuses(scenario["full_list"]) == base
    assert scenario["full_intact"]

    # A disk that fills while a run writes its output: the run fails, cleanly.
    assert_clean_error(_res(scenario["filling"]))
    assert "no space left on device" in scenario["filling"]["err"]
    after = _statuses(scenario["filling_list"])
    assert {k: v for k, v in after.items() if k in base} == base
    assert set(after) - set(base) and all(after[k] == "error" for k in set(after) - set(base))
    assert scenario["filling_intact"]
    assert scenario["leftovers"] == []

    # A read-only home.
    assert scenario["remount"]["rc"] == 0, scenario["remount"]
    for d in scenario["ro"]:
        assert_clean_error(_res(d))
    assert "read-only file system" in scenario["ro"][0]["err"]
    assert scenario["ro_list"]["rc"] == 0
    assert _statuses(scenario["ro_list"]) == after
    assert scenario["ro_info"]["rc"] == 0 and "status: completed" in scenario["ro_info"]["out"]
    # check cannot repair anything on a read-only home, and says so
    assert_clean_error(_res(scenario["ro_check"]))
    assert "repaired" not in scenario["ro_check"]["out"]
    assert scenario["ro_intact"]
