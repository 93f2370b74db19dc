"""The index is a cache: a damaged ``index.sqlite`` or an unreadable journal
never breaks a listing or ``check``; the listing is still right."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest
from reliability_support import Env, assert_clean_error

from guildlike.context import Context
from guildlike.store import opref, store

N_RUNS = 40


def _make_runs(genv: Env) -> None:
    """Runs with long labels, so that the index spans many pages."""
    ctx = Context(home=genv.home, cwd=genv.project, env={"GUILDLIKE_HOME": str(genv.home)})
    for i in range(N_RUNS):
        rid = f"{i:04d}" + "a" * 28
        run = store.init_run_dir(ctx, rid)
        run.set("id", rid)
        run.set("initialized", 1_700_000_000_000_000 + i * 1_000_000)
        run.set("started", 1_700_000_000_000_000 + i * 1_000_000)
        run.set("exit_status", i % 3)
        run.set("flags", {"i": i})
        run.set("label", f"run {i} " + "x" * 300)
        opref.write(run.path, opref.OpRef("guildfile", str(genv.project / "guild.yml"), "", "", "quick"))


def _listing(genv: Env) -> str:
    return genv.ok("runs", "-a").out


def _damage_page(path: Path, which: str) -> None:
    con = sqlite3.connect(str(path))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    pages = path.stat().st_size // page_size
    assert pages >= 6, pages
    page = {"header": 0, "second": 1, "middle": pages // 2, "last": pages - 1}[which]
    rng = random.Random(f"{which}-{pages}")
    with open(path, "r+b") as f:
        f.seek(page * page_size)
        f.write(bytes(rng.randrange(256) for _ in range(page_size)))


@pytest.fixture
def damaged(genv: Env) -> tuple[Env, str]:
    _make_runs(genv)
    good = _listing(genv)
    assert len(good.splitlines()) == N_RUNS
    return genv, good


PAGES = ["header", "second", "middle", "last"]


@pytest.mark.parametrize("which", PAGES)
def test_listing_survives_a_damaged_page(damaged: tuple[Env, str], which: str) -> None:
    genv, good = damaged
    _damage_page(genv.home / "index.sqlite", which)
    assert _listing(genv) == good
    assert _listing(genv) == good  # and again, from the rebuilt index
    assert genv.ok("runs", "-Sc", "-a").out.count("completed") == len(range(0, N_RUNS, 3))
    assert genv.ok("select", "3").out.strip() == f"{N_RUNS - 3:04d}" + "a" * 28
    genv.ok("runs", "info", "2")
    genv.ok("check")


@pytest.mark.parametrize("which", PAGES)
def test_check_repairs_a_damaged_index(damaged: tuple[Env, str], which: str) -> None:
    genv, good = damaged
    _damage_page(genv.home / "index.sqlite", which)
    res = genv.ok("check")
    assert "Traceback" not in res.text
    assert _listing(genv) == good
    assert genv.ok("check").text.strip().endswith("No problems found."), genv.ok("check").text


def test_check_without_repair_reports_a_damaged_index(damaged: tuple[Env, str]) -> None:
    genv, good = damaged
    _damage_page(genv.home / "index.sqlite", "middle")
    res = genv.gl("check", "--no-repair")
    assert_clean_error(res)
    assert "index is damaged" in res.out, str(res)
    assert _listing(genv) == good


def test_journal_that_is_a_folder(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    genv.ok("runs")  # makes the index
    journal = genv.home / "index.journal"
    if journal.exists():
        journal.unlink()
    journal.mkdir()
    genv.ok("run", "-y", "quick", "--label", "second")
    genv.ok("label", "-y", "2", "--set", "first")
    rows = genv.ok("runs").out.splitlines()
    assert len(rows) == 2 and rows[0].endswith("second") and rows[1].endswith("first"), rows
    genv.ok("check")
    assert journal.is_dir()


def test_journal_unreadable(genv: Env) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    genv.ok("run", "-y", "quick")
    genv.ok("runs")
    journal = genv.home / "index.journal"
    journal.write_text("")
    journal.chmod(0)
    genv.ok("label", "-y", "1", "--set", "changed")
    assert genv.ok("runs").out.rstrip().endswith("changed")
