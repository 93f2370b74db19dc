"""Import of hostile archives: nothing is written or read outside the home.

Every archive is a real zip (links as ``external_attr`` entries) or a real
folder built here, imported by the real command.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from reliability_support import Env, assert_clean_error
from test_bad_input import GOOD, RID, _zip, home_files, refused

A, B, C = "a" * 32, "b" * 32, "d" * 32


def outside_files(genv: Env) -> set[str]:
    """Everything in the test's folder but the home and the archives."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(genv.tmp):
        if Path(dirpath) == genv.tmp:
            dirnames[:] = [d for d in dirnames if d not in ("home", "project")]
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), genv.tmp))
    return out


def _run(rid: str) -> list[tuple[str, str, str]]:
    return [(f"runs/{rid}/.guild/opref", "file", "guildfile:x '' '' quick\n"),
            (f"runs/{rid}/.guild/attrs/exit_status", "file", "0\n")]


# Each link reads as inside the imported runs (s -> runs/C, esc -> runs/B/a),
# but the kernel follows s first: esc is runs/C/../../.., outside the home.
CHAIN = _run(A) + _run(B) + _run(C) + [
    (f"runs/{B}/a/b/c/s", "link", f"../../../../{C}"),
    (f"runs/{A}/esc", "link", f"../{B}/a/b/c/s/../../.."),
]


@pytest.mark.parametrize("evil_first", [False, True])
def test_link_chain_in_a_zip_writes_nothing_outside(genv: Env, evil_first: bool) -> None:
    genv.ok("run", "-y", "quick")
    evil = [(f"runs/{A}/esc/EVIL", "file", "EVIL")]
    archive = _zip(genv.tmp / "chain.zip", evil + CHAIN if evil_first else CHAIN + evil)
    before = outside_files(genv)
    refused(genv, "import", "-y", str(archive), says="refusing")
    assert outside_files(genv) == before
    assert not list(genv.tmp.parent.glob("**/EVIL"))


def test_link_chain_alone_is_refused(genv: Env) -> None:
    """Without a file through it, the chain would still let ``cat -p`` read outside."""
    genv.ok("run", "-y", "quick")
    (genv.tmp / "secret.txt").write_text("secret")
    refused(genv, "import", "-y", str(_zip(genv.tmp / "chain.zip", CHAIN)), says="resolves outside the imported runs")


def test_link_chain_in_a_folder_is_refused(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    src = genv.tmp / "export"
    for rid in (A, B, C):
        (src / "runs" / rid / ".guild" / "attrs").mkdir(parents=True)
        (src / "runs" / rid / ".guild" / "attrs" / "exit_status").write_text("0\n")
    (src / "runs" / B / "a" / "b" / "c").mkdir(parents=True)
    os.symlink(f"../../../../{C}", src / "runs" / B / "a" / "b" / "c" / "s")
    os.symlink(f"../{B}/a/b/c/s/../../..", src / "runs" / A / "esc")
    refused(genv, "import", "-y", str(src), says="resolves outside the imported runs")


def test_link_into_a_kept_run_is_judged_by_the_home_copy(genv: Env) -> None:
    """A run the import keeps (it exists) may hold a link out of the home;
    an imported link through it is refused."""
    genv.ok("run", "-y", "quick", "--run-id", B)
    os.symlink(str(genv.tmp), genv.run_dir(B) / "out")
    archive = _zip(genv.tmp / "kept.zip", _run(A) + _run(B) + [(f"runs/{A}/x", "link", f"../{B}/out/secret")])
    refused(genv, "import", "-y", str(archive), says="resolves outside the imported runs")


def test_links_between_imported_runs_still_import(genv: Env) -> None:
    archive = _zip(genv.tmp / "ok.zip", _run(A) + _run(B) + [(f"runs/{A}/step", "link", f"../{B}")])
    genv.ok("import", "-y", str(archive))
    assert os.readlink(genv.run_dir(A) / "step") == f"../{B}"
    assert genv.ok("cat", A, "-p", "step/.guild/attrs/exit_status").out == "0\n"


@pytest.mark.parametrize("entries,says", [
    pytest.param(_run(A) + [(f"runs/{A}/.guild", "link", f"../{B}/.guild")], "not allowed in a run's .guild",
                 id="guild-link"),
    pytest.param([("runs/x.tmp/.guild/attrs/exit_status", "file", "0\n")], "refusing run folder 'x.tmp'", id="tmp"),
    pytest.param([("runs/a\nb/.guild/attrs/exit_status", "file", "0\n")], "refusing run folder 'a\\nb'", id="newline"),
    pytest.param([("runs/x.prepare/f", "file", "0\n")], "refusing run folder", id="prepare"),
    pytest.param(_run(A) + [(f"runs/{A}/f", "file", "1"), (f"runs/{A}/f", "file", "2")], "appears twice", id="twice"),
])
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_bad_names_and_links(genv: Env, entries: list[tuple[str, str, str]], says: str) -> None:
    genv.ok("run", "-y", "quick")
    refused(genv, "import", "-y", str(_zip(genv.tmp / "bad.zip", entries)), says=says)


# -- caps -------------------------------------------------------------------------


def test_total_size_cap(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    big = [(f"runs/{RID}/big{i}", "file", "0" * 1_000_000) for i in range(3)]
    archive = _zip(genv.tmp / "bomb.zip", GOOD + big)
    before = home_files(genv.home)
    res = genv.gl("import", "-y", str(archive), env={"GUILDLIKE_IMPORT_MAX_BYTES": "2000000"})
    assert_clean_error(res)
    assert "more than 2000000 bytes" in res.err and "GUILDLIKE_IMPORT_MAX_BYTES" in res.err
    assert home_files(genv.home) == before
    genv.ok("import", "-y", str(archive))  # the default is generous
    assert (genv.run_dir(RID) / "big2").stat().st_size == 1_000_000


def test_entry_count_cap_and_bad_setting(genv: Env) -> None:
    archive = _zip(genv.tmp / "many.zip", GOOD + [(f"runs/{RID}/f{i}", "file", "x") for i in range(5)])
    res = genv.gl("import", "-y", str(archive), env={"GUILDLIKE_IMPORT_MAX_ENTRIES": "4"})
    assert_clean_error(res)
    assert "more than 4 entries" in res.err
    res = genv.gl("import", "-y", str(archive), env={"GUILDLIKE_IMPORT_MAX_ENTRIES": "lots"})
    assert_clean_error(res)
    assert "invalid GUILDLIKE_IMPORT_MAX_ENTRIES 'lots'" in res.err
    assert genv.run_ids() == []


def test_huge_link_entry_is_refused_before_it_is_read(genv: Env) -> None:
    archive = genv.tmp / "link.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, _kind, data in GOOD:
            zf.writestr(arc, data)
        info = zipfile.ZipInfo(f"runs/{RID}/l")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as f:
            for _ in range(150):
                f.write(b"a/" * 512 * 1024)  # 150 MB, a few hundred KB compressed
    assert archive.stat().st_size < 1_000_000
    # A fresh parent, so that its children's peak memory is this import's alone.
    probe = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True); "
             "sys.stderr.write(p.stderr.decode()); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "guildlike", "import", "-y", str(archive)],
                       env=genv.environ(), capture_output=True, text=True, timeout=60, check=False)
    assert "its target is longer than 4096 bytes" in p.stderr, p.stderr
    assert int(p.stdout) < 100_000, f"peak memory {p.stdout} KiB"
    assert genv.run_ids() == []


def test_bytes_are_counted_while_extracting(tmp_path: Path) -> None:
    """Sizes given ahead (a header, a stat of a file that then grows) are not trusted."""
    from guildlike.errors import TransferError
    from guildlike.ops.archive import DirSource, Limits
    from guildlike.ops.extract import Writer, check_name

    src = tmp_path / "export"
    (src / "runs" / RID).mkdir(parents=True)
    (src / "runs" / RID / "f").write_bytes(b"x" * 5000)
    entries = DirSource(src).entries(Limits())
    staging = tmp_path / "staging"
    staging.mkdir()
    writer = Writer(staging, DirSource(src), Limits(max_bytes=1000))
    with pytest.raises(TransferError, match="more than 1000 bytes"):
        for e in entries:
            if e.arc != "runs":
                e.size = 0  # the header lies
                writer.place(check_name(e), None)


# -- locks from another home ------------------------------------------------------


def test_imported_locks_never_count_as_live(genv: Env) -> None:
    from guildlike.store.status import _pid_text

    live = _pid_text(os.getpid())  # a process that is alive here
    archive = _zip(genv.tmp / "locked.zip", [
        (f"runs/{A}/.guild/opref", "file", "guildfile:x '' '' quick\n"),
        (f"runs/{A}/.guild/LOCK", "file", live),
        (f"runs/{B}/.guild/opref", "file", "guildfile:x '' '' quick\n"),
        (f"runs/{B}/.guild/PENDING", "file", live),
    ])
    genv.ok("import", "-y", str(archive))
    assert not (genv.run_dir(A) / ".guild" / "LOCK").exists()
    assert not (genv.run_dir(B) / ".guild" / "PENDING").exists()
    assert set(genv.statuses().values()) == {"error"}
    genv.ok("runs", "delete", "-y", A, B)
    assert genv.run_ids() == []
