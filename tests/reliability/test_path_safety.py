"""Run ids, links a run made, odd files in runs, and where ``export`` may write.

Real commands on real folders: a run's files are made by its operation
(or, for links, by the test in the run's folder, as an operation could).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from reliability_support import Env, assert_clean_error
from test_bad_input import refused

ODD_OP = """odd:
  main: odd
"""
ODD_PY = """import os
with open(os.fsencode("out-") + b"\\xff.txt", "wb") as f:
    f.write(b"odd name")
os.mkfifo("pipe")
with open("plain.txt", "w") as f:
    f.write("plain")
"""


@pytest.mark.parametrize("rid", ["/ABS", "../up", ".hidden", "x.tmp", "x.prepare", "a\nb", "-x", "a/b", "",
                                 "x" * 129])
def test_bad_run_ids_are_refused(genv: Env, rid: str) -> None:
    rid = rid.replace("/ABS", str(genv.tmp / "abs"))
    refused(genv, "run", "-y", "quick", "--run-id", rid, says="invalid --run-id")
    assert not (genv.tmp / "abs").exists() and not (genv.tmp / "up").exists()
    assert not genv.runs_dir.exists() or os.listdir(genv.runs_dir) == []


def test_good_run_ids_are_listed(genv: Env) -> None:
    ids = ["my-run_1.0", "z" * 128, "7", "Upper.Case"]
    for rid in ids:
        genv.ok("run", "-y", "quick", "--run-id", rid)
    listed = genv.ok("runs").out
    assert all(f":{rid[:8]}]" in listed for rid in ids), listed
    assert sorted(genv.run_ids()) == sorted(ids)
    assert "a letter or digit, then up to 127" in " ".join(genv.ok("run", "--help").out.split())


def test_library_refuses_a_path_as_run_id(tmp_path: Path) -> None:
    from guildlike.context import Context
    from guildlike.errors import GuildlikeError
    from guildlike.store import store

    ctx = Context(home=tmp_path / "home", cwd=tmp_path)
    with pytest.raises(GuildlikeError, match="invalid run id"):
        store.init_run_dir(ctx, str(tmp_path / "abs"))
    assert not (tmp_path / "abs").exists()


@pytest.fixture
def linked(genv: Env) -> tuple[Env, str, str]:
    """Two runs; the first holds links out of the home and into the second."""
    genv.ok("run", "-y", "quick", "--run-id", "first")
    genv.ok("run", "-y", "quick", "--run-id", "second")
    outside = genv.tmp / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_text("secret")
    run = genv.run_dir("first")
    os.symlink(str(outside), run / "etcdir")
    os.symlink("../second", run / "step")
    os.symlink("step/../../../outside", run / "sneaky")
    return genv, "first", "second"


def test_ls_shows_links_out_of_the_runs_without_following_them(linked: tuple[Env, str, str]) -> None:
    genv, first, _ = linked
    names = genv.ok("ls", first, "-n", "-L").out.splitlines()
    assert "etcdir" in names and "sneaky" in names
    assert not [n for n in names if n.startswith(("etcdir/", "sneaky/"))]
    assert "step/" in names and "step/quick.py" in names  # into the home's runs: followed with -L


@pytest.mark.parametrize("path", ["etcdir/secret.txt", "sneaky/secret.txt", "etcdir"])
def test_cat_refuses_paths_leading_out(linked: tuple[Env, str, str], path: str) -> None:
    genv, first, _ = linked
    refused(genv, "cat", first, "-p", path, says="leads outside the runs through a link")


def test_cat_follows_links_within_the_runs(linked: tuple[Env, str, str]) -> None:
    genv, first, _ = linked
    assert genv.ok("cat", first, "-p", "step/quick.py").out == (genv.project / "quick.py").read_text()


def test_odd_files_in_a_run(genv: Env) -> None:
    """A name that is not UTF-8 and a FIFO: the run completes, nothing hangs,
    export and import keep the name's bytes."""
    (genv.project / "guild.yml").write_text(ODD_OP)
    (genv.project / "odd.py").write_text(ODD_PY)
    genv.ok("run", "-y", "odd", timeout=20)
    (rid,) = genv.run_ids()
    assert genv.statuses() == {rid: "completed"}
    assert not (genv.run_dir(rid) / ".guild" / "LOCK").exists()
    assert "out-\\udcff.txt" in (genv.run_dir(rid) / ".guild" / "data.json").read_text()
    res = genv.gl("cat", "-p", "pipe", timeout=10)
    assert_clean_error(res)
    assert "not a regular file" in res.err
    for dest in ("odd.zip", "odd-folder"):
        genv.ok("export", "-y", str(genv.tmp / dest), timeout=20)
        other = Env(genv.tmp / ("other-" + dest))
        try:
            other.ok("import", "-y", str(genv.tmp / dest))
            names = os.listdir(os.fsencode(other.run_dir(rid)))
            assert b"out-\xff.txt" in names and b"pipe" not in names
        finally:
            other.close()


def test_failed_export_keeps_the_old_archive(genv: Env) -> None:
    """A write that fails midway (here a file size limit) leaves the earlier
    archive as it was and no partial file or run folder."""
    genv.ok("run", "-y", "quick", "--run-id", "big")
    for name in ("r1", "r2"):
        (genv.run_dir("big") / name).write_bytes(os.urandom(700_000))
    genv.ok("run", "-y", "quick", "--run-id", "huge")
    (genv.run_dir("huge") / "r").write_bytes(os.urandom(1_200_000))
    good = genv.tmp / "out.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("keep/x", "precious")
    before = good.read_bytes()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    # The zip (1.4 MB) goes over the limit, not its files; the folder gets a file of 1.2 MB.
    for dest, rid in ((good, "big"), (genv.tmp / "folder", "huge")):
        p = subprocess.run([sys.executable, "-m", "guildlike", "export", "-y", str(dest), rid],
                           env=genv.environ(), cwd=genv.project, capture_output=True, text=True,
                           preexec_fn=limit, timeout=60, check=False)
        assert p.returncode != 0 and p.stderr.splitlines()[-1].startswith("guildlike: cannot export"), p.stderr
        assert "Traceback" not in p.stderr
    assert good.read_bytes() == before
    assert [n for n in os.listdir(genv.tmp) if n.endswith(".tmp")] == []
    assert os.listdir(genv.tmp / "folder") == [".guild-nocopy"]


@pytest.mark.parametrize("where", ["run", "runs", "home", "trash", "inside-run.zip"])
def test_export_into_the_runs_is_refused(genv: Env, where: str) -> None:
    genv.ok("run", "-y", "quick", "--run-id", "one")
    genv.ok("run", "-y", "quick", "--run-id", "gone")
    genv.ok("runs", "delete", "-y", "gone")
    dest = {"run": genv.run_dir("one") / "copy", "runs": genv.runs_dir, "home": genv.home,
            "trash": genv.home / "trash" / "runs" / "x", "inside-run.zip": genv.run_dir("one") / "a.zip"}[where]
    refused(genv, "export", "-y", str(dest), "one", says="inside this home's runs or trash")


def test_export_of_a_running_run_is_refused(genv: Env) -> None:
    p = genv.start("run", "-y", "sleepy", "seconds=30")
    rid, _pid = genv.wait_op_running("sleepy", p.pid)
    res = genv.gl("export", "-y", str(genv.tmp / "x.zip"), rid)
    assert_clean_error(res)
    assert "cannot export run" in res.err and "it is running" in res.err and "wait for it to finish" in res.err
    assert not (genv.tmp / "x.zip").exists()


def test_exported_zip_has_the_usual_mode(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    genv.ok("export", "-y", str(genv.tmp / "a.zip"), env={})
    assert (genv.tmp / "a.zip").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old
