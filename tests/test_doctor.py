"""check removes what a killed import left in the home, and nothing of a live one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from guildlike.context import Context
from guildlike.store import doctor


def test_leftover_of_a_dead_import_is_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".import-{dead.pid}-abc"
    (left / "run").mkdir(parents=True)
    live = tmp_path / f".import-{os.getpid()}-xyz"
    live.mkdir()
    ctx = Context(home=tmp_path, cwd=tmp_path)
    rep = doctor.check(ctx, repair=False)
    assert rep.unrepaired == 1 and left.exists()
    assert any("unfinished import" in line for line in rep.lines)
    rep = doctor.check(ctx, repair=True)
    assert not left.exists() and live.exists()
    assert any(line.startswith("repaired: removed unfinished import") for line in rep.lines)
