"""Bad input: one clear ``guildlike: ...`` line, a non-zero exit, nothing written.

Each case runs the real command against its own home; the home's files are
compared before and after (the index, a cache, aside).
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from pathlib import Path

import pytest

from reliability_support import Env, assert_clean_error

QUICK = "quick:\n  main: quick\n  flags-import: all\n"
BAKE = "bake:\n  main: quick\n  flags:\n    n: {type: int, default: 1}\n    x: {type: float, default: 0.5}\n"


def home_files(home: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not home.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(home))
            if rel.startswith("index.sqlite") or rel.startswith("cache"):
                continue
            out[rel] = "dir" if p.is_dir() and not p.is_symlink() else (
                "link:" + os.readlink(p) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
            )
    return out


def refused(genv: Env, *args: str, says: str) -> None:
    before = home_files(genv.home)
    res = genv.gl(*args)
    assert_clean_error(res)
    assert says in res.err.splitlines()[0], str(res)
    assert home_files(genv.home) == before, "something was written"


GUILDFILES = [
    ("malformed", "quick: {main: quick\n", ["run", "-y", "quick"], "invalid YAML (line"),
    ("tab", "quick:\n\tmain: quick\n", ["run", "-y", "quick"], "invalid YAML"),
    ("not-a-mapping", "- just\n- a list\n", ["run", "-y", "quick"], "must be a mapping"),
    ("unknown-key", "quick:\n  mian: quick\n", ["run", "-y", "quick"], "did you mean 'main'?"),
    ("unknown-flag-key", "quick:\n  main: quick\n  flags:\n    msg: {defualt: 1}\n", ["run", "-y", "quick"],
     "did you mean 'default'?"),
    ("unknown-type", "quick:\n  main: quick\n  flags:\n    msg: {type: integer}\n", ["run", "-y", "quick"],
     "invalid type 'integer'"),
    ("main-not-string", "quick:\n  main: [quick]\n", ["run", "-y", "quick"], "must be a string"),
    ("flags-not-mapping", "quick:\n  main: quick\n  flags: [a, b]\n", ["run", "-y", "quick"], "must be a mapping"),
    ("steps-not-list", QUICK + "p:\n  steps: quick\n", ["run", "-y", "p"], "must be a list"),
    ("default-wrong-type", "quick:\n  main: quick\n  flags:\n    msg: {type: int, default: x}\n",
     ["run", "-y", "quick"], "invalid value x for msg"),
    ("min-over-max", "quick:\n  main: quick\n  flags:\n    msg: {default: 3, min: 5, max: 2}\n",
     ["run", "-y", "quick"], "min 5 is greater than max 2"),
    ("unknown-step-key", QUICK + "p:\n  steps:\n    - run: quick\n      flagz: {msg: x}\n", ["run", "-y", "p"],
     "did you mean 'flags'?"),
    ("recursive-refs", QUICK + "p:\n  flags:\n    a: ${b}\n    b: ${a}\n  steps:\n    - quick msg=${a}\n",
     ["run", "-y", "p"], "references are not expanded recursively"),
    ("undefined-ref", QUICK + "p:\n  steps:\n    - quick msg=${nope}\n", ["run", "-y", "p"],
     "undefined flag reference ${nope}"),
    ("not-utf8", None, ["run", "-y", "quick"], "not UTF-8"),
]


@pytest.mark.parametrize("text,args,says", [pytest.param(t, a, s, id=i) for i, t, a, s in GUILDFILES])
def test_bad_guildfile(genv: Env, text: str | None, args: list[str], says: str) -> None:
    gf = genv.project / "guild.yml"
    if text is None:
        gf.write_bytes(b"quick:\n  description: \xff\xfe\n")
    else:
        gf.write_text(text)
    refused(genv, *args, says=says)
    assert not genv.runs_dir.exists() or not os.listdir(genv.runs_dir)


FLAG_ARGS = [
    ("self-ref-value", QUICK + "p:\n  flags:\n    a: x\n  steps:\n    - quick msg=${a}\n", ["p", "a=${a}"],
     "references are not expanded recursively"),
    ("not-an-int", BAKE, ["bake", "n=abc"], "invalid value abc for n"),
    ("not-a-float", BAKE, ["bake", "x=1.2.3"], "invalid value 1.2.3 for x"),
    ("range-min-over-max", BAKE, ["bake", "x=[5:1]"], "min 5 is greater than max 1"),
    ("loguniform-zero", BAKE, ["bake", "x=loguniform[0:1]"], "greater than 0"),
    ("unknown-search", BAKE, ["bake", "x=gauss[0:1]"], "unknown search function"),
    ("range-of-words", BAKE, ["bake", "x=[a:b]"], "range bounds must be numbers"),
    ("empty-list", BAKE, ["bake", "n=[]"], "empty list"),
    ("unknown-flag", BAKE, ["bake", "nn=1"], "unsupported flag 'nn'"),
    ("no-equals", BAKE, ["bake", "n"], "invalid argument"),
    ("huge-grid", BAKE, ["bake", "n=[" + ",".join(map(str, range(2000))) + "]",
                         "x=[" + ",".join(map(str, range(2000))) + "]"], "too large"),
]


@pytest.mark.parametrize("text,args,says", [pytest.param(t, a, s, id=i) for i, t, a, s in FLAG_ARGS])
def test_bad_flag_values(genv: Env, text: str, args: list[str], says: str) -> None:
    (genv.project / "guild.yml").write_text(text)
    refused(genv, "run", "-y", *args, says=says)
    assert not genv.runs_dir.exists() or not os.listdir(genv.runs_dir)


def test_huge_list_in_the_library() -> None:
    """A list too long for a command line (over 128 KiB) is refused before any grid is made."""
    from guildlike.errors import FlagError
    from guildlike.guildfile.flags import MAX_GRID_VALUES, decode_arg

    with pytest.raises(FlagError, match="too long"):
        decode_arg("[" + ",".join("1" for _ in range(MAX_GRID_VALUES + 1)) + "]")


@pytest.fixture
def with_runs(genv: Env) -> Env:
    for n in (1, 2, 3):
        genv.ok("run", "-y", "quick", f"msg=m{n}", "--run-id", f"abc{n}" + "0" * 29)
    return genv


@pytest.mark.parametrize(
    "args,says",
    [
        (["runs", "info", "zzz"], "could not find a run matching 'zzz'"),
        (["runs", "info", "99"], "could not find a run matching '99'"),
        (["run", "--restart", "fff", "-y"], "could not find a run matching 'fff'"),
        (["runs", "delete", "zzz", "-y"], "could not find a run matching 'zzz'"),
        (["ls", "-p", "../.."], "outside the run directory"),
        (["ls", "-p", "/etc"], "outside the run directory"),
        (["ls", "-p", "a/../../.."], "outside the run directory"),
        (["cat", "-p", "../../index.sqlite"], "outside the run directory"),
        (["cat", "-p", "/etc/passwd"], "outside the run directory"),
        (["select", "-a", "../opref"], "no such run attribute"),
        (["select", "-a", "../../../../../etc/hostname"], "no such run attribute"),
        (["runs", "-Fs", "between now and then"], "guildlike: "),
        (["runs", "info", "-Fs", "last -3 days"], "guildlike: "),
    ],
)
def test_bad_run_specs_and_paths(with_runs: Env, args: list[str], says: str) -> None:
    refused(with_runs, *args, says=says)


@pytest.mark.parametrize("args", [["runs", "info", "abc"], ["run", "--restart", "abc", "-y"], ["runs", "delete", "abc", "-y"]])
def test_ambiguous_id_prefix(with_runs: Env, args: list[str]) -> None:
    before = home_files(with_runs.home)
    res = with_runs.gl(*args)
    assert res.rc != 0 and "Traceback" not in res.text
    assert res.err.splitlines()[0] == "'abc' matches multiple runs:"
    assert home_files(with_runs.home) == before


def _zip(path: Path, entries: list[tuple[str, str, str]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for arc, kind, data in entries:
            if kind == "link":
                info = zipfile.ZipInfo(arc)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, data)
            else:
                zf.writestr(arc, data)
    return path


RID = "c" * 32
GOOD = [(f"runs/{RID}/.guild/opref", "file", "guildfile:x '' '' quick\n"),
        (f"runs/{RID}/.guild/attrs/exit_status", "file", "0\n")]
ARCHIVES = [
    ("dotdot", GOOD + [(f"runs/{RID}/../../../evil", "file", "x")], "'..' in path"),
    ("dotdot-top", GOOD + [("../evil", "file", "x")], "'..' in path"),
    ("absolute", GOOD + [("/tmp/guildlike-evil", "file", "x")], "absolute path"),
    ("link-up", GOOD + [(f"runs/{RID}/out", "link", "../../../../etc")], "points outside the imported runs"),
    ("link-absolute", GOOD + [(f"runs/{RID}/out", "link", "/etc")], "absolute target"),
    ("link-other-run", GOOD + [(f"runs/{RID}/out", "link", "../" + "d" * 32)], "points outside the imported runs"),
    ("not-under-runs", GOOD + [("evil.txt", "file", "x")], "not under runs/"),
    ("run-is-a-file", [("runs/" + "e" * 32, "file", "x")], "a run must be a folder"),
    ("hidden-run", [("runs/.hidden/x", "file", "x")], "refusing run folder"),
]


@pytest.mark.parametrize("entries,says", [pytest.param(e, s, id=i) for i, e, s in ARCHIVES])
def test_bad_archives(genv: Env, entries: list[tuple[str, str, str]], says: str) -> None:
    genv.ok("run", "-y", "quick")
    archive = _zip(genv.tmp / "bad.zip", entries)
    refused(genv, "import", "-y", str(archive), says=says)
    assert not (genv.tmp / "evil").exists() and not Path("/tmp/guildlike-evil").exists()


def test_not_an_archive(genv: Env) -> None:
    (genv.tmp / "bad.zip").write_bytes(b"PK\x03\x04 this is no zip file")
    refused(genv, "import", "-y", str(genv.tmp / "bad.zip"), says="cannot read")
    (genv.tmp / "plain.txt").write_text("hello")
    refused(genv, "import", "-y", str(genv.tmp / "plain.txt"), says="not a folder or a .zip file")
    refused(genv, "import", "-y", str(genv.tmp / "missing.zip"), says="does not exist")
    ok = _zip(genv.tmp / "ok.zip", GOOD)
    genv.ok("import", "-y", str(ok))
    assert genv.run_ids() == [RID]
