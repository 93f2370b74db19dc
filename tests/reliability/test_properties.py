"""Property-based tests: whatever the input, only a ``GuildlikeError`` escapes
the library, and no traceback reaches the user of the command line.

Examples are drawn deterministically (``derandomize``) so that CI is stable;
set ``HYPOTHESIS_EXPLORE=1`` to draw new ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guildlike.errors import GuildlikeError
from guildlike.guildfile import flags as flagsmod
from guildlike.guildfile import load as loadmod
from guildlike.guildfile.opdef import FLAG_TYPES, FlagDef, OpDef
from guildlike.store import select, timerange
from guildlike.store.run import Run

EXPLORE = bool(os.environ.get("HYPOTHESIS_EXPLORE"))


def cfg(n: int) -> settings:
    return settings(
        max_examples=n * (5 if EXPLORE else 1),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# -- flag values ---------------------------------------------------------------

_pieces = st.sampled_from(
    ["[", "]", ":", ",", "'", '"', "uniform", "loguniform", "randint", "normal", "-", ".", "e", "1", "0", "2.5",
     "-3", "1e3", "nan", "inf", "yes", "no", "null", "~", "{", "}", "&a", "*a", "!!python/object", "%", "@", "#",
     " ", "\t", "\n", "${x}", "x", "[1:", ":2]", "[[", "]]"]
)
flag_text = st.one_of(st.text(max_size=40), st.lists(_pieces, max_size=12).map("".join))


@cfg(400)
@given(flag_text)
def test_decode_arg(raw: str) -> None:
    try:
        flagsmod.decode_arg(raw)
    except GuildlikeError:
        pass


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=10)
)
flag_defs = st.builds(
    FlagDef,
    name=st.just("f"),
    default=scalars,
    type=st.one_of(st.none(), st.sampled_from(FLAG_TYPES)),
    choices=st.one_of(st.none(), st.lists(st.one_of(scalars, st.fixed_dictionaries({"value": scalars})), max_size=4)),
    min=st.one_of(st.none(), st.integers(-5, 5), st.floats(-5, 5)),
    max=st.one_of(st.none(), st.integers(-5, 5), st.floats(-5, 5)),
    required=st.booleans(),
)


@cfg(400)
@given(flag_defs, st.dictionaries(st.sampled_from(["f", "g", "bad name", "", "f.x"]), flag_text, max_size=3),
       st.booleans())
def test_resolve(fd: FlagDef, args: dict[str, str], force: bool) -> None:
    opdef = OpDef(name="op", flags={"f": fd})
    try:
        given_ = {name: flagsmod.decode_arg(raw) for name, raw in args.items()}
        flagsmod.resolve(opdef, given_, force_flags=force)
    except GuildlikeError:
        pass


# -- run specs -----------------------------------------------------------------

RUNS = [Run(rid, Path("/nonexistent") / rid) for rid in
        ["abc00000000000000000000000000001", "abc00000000000000000000000000002", "abd0000000000000000000000000003",
         "ff", "12"]]
run_specs = st.one_of(
    st.text(max_size=12),
    st.lists(st.sampled_from(["a", "b", "c", "1", "2", "0", ":", "-", "f", "99999999999999999999"]), max_size=8).map("".join),
)


@cfg(400)
@given(run_specs, st.lists(run_specs, max_size=3), st.integers(0, len(RUNS)))
def test_run_specs(spec: str, specs: list[str], n: int) -> None:
    runs = RUNS[:n]
    for call in (lambda: select.select_one(runs, spec), lambda: select.select_many(runs, specs),
                 lambda: select.select_one(runs, None)):
        try:
            call()
        except GuildlikeError:
            pass


@cfg(300)
@given(st.one_of(st.text(max_size=30), st.lists(st.sampled_from(
    ["after", "before", "between", "and", "last", "today", "yesterday", "2026-11-21", "10:00", "25:99",
     "-3", "0", "minutes", "days", "hours", "9999-99-99", " "]), max_size=6).map(" ".join)))
def test_time_ranges(text: str) -> None:
    try:
        timerange.parse(text)
    except GuildlikeError:
        pass


# -- op specs and guild.yml documents --------------------------------------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("props")
    (d / "train.py").write_text("x = 1\nname = 'a'\nimport argparse\n")
    return d


OPS_SAMPLE = {
    "train": {"main": "train", "flags-import": "all", "flags": {"lr": {"default": 0.1, "type": "float"}}},
    "p": {"steps": ["train", "train lr=${lr}"], "flags": {"lr": 0.2}},
}


@cfg(300)
@given(st.one_of(st.text(max_size=20), st.sampled_from(["train", "p", ":train", "m:train", "train.py", "x.py",
                                                          "../train.py", "/etc/passwd", "a:b:c", ""])))
def test_op_specs(project: Path, opspec: str) -> None:
    (project / "guild.yml").write_text(yaml.safe_dump(OPS_SAMPLE))
    try:
        loadmod.resolve(opspec, project)
    except GuildlikeError:
        pass


keys = st.sampled_from(sorted(loadmod.OP_KEYS | loadmod.FLAG_KEYS | loadmod.MODEL_KEYS) + ["x", "operations"])
leaves = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16),
                   st.text(string.ascii_letters + "${}:. =[]-", max_size=12), st.sampled_from(FLAG_TYPES))
docs = st.recursive(leaves, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                    st.dictionaries(st.one_of(keys, leaves), kids, max_size=4)),
                    max_leaves=25)
ops_docs = st.dictionaries(st.sampled_from(["train", "p", "q"]),
                           st.dictionaries(keys, docs, max_size=5), max_size=3)
model_docs = st.lists(st.dictionaries(st.sampled_from(["model", "operations", "default", "x", "config"]),
                                      st.one_of(ops_docs, docs), max_size=3), max_size=2)


def _load_everything(path: Path, cache_dir: Path | None = None) -> None:
    gf = loadmod.load(path)
    for name in gf.op_names():
        opdef = loadmod.resolve(name, path.parent, cache_dir)
        flagsmod.resolve(opdef, {})
        json.dumps(opdef.to_data())  # what a run stores
        if opdef.steps is not None:
            from guildlike.ops import stepdefs as steps

            for step in steps.parse_steps(opdef):
                steps.step_flags(step, opdef.flag_defaults())


@cfg(250)
@given(st.one_of(ops_docs, model_docs, docs))
def test_guildfile_documents(project: Path, doc: Any) -> None:
    path = project / "guild.yml"
    try:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    except (yaml.YAMLError, ValueError):
        return
    try:
        _load_everything(path)
    except GuildlikeError:
        pass


@cfg(200)
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(
    ["train:\n", "  main: train\n", "  flags:\n", "    lr: ", "{", "}", "[", "]", "&a ", "*a", "!!binary ", "? ",
     "- ", "\t", "'", '"', "${lr}", "steps:\n", "  - train\n", "%YAML 1.1\n", "---\n", "...\n"]), max_size=15).map("".join)))
def test_guildfile_text(project: Path, text: str) -> None:
    path = project / "guild.yml"
    path.write_text(text)
    try:
        _load_everything(path)
    except GuildlikeError:
        pass


# -- the command line ----------------------------------------------------------

@contextlib.contextmanager
def _cli_env(home: Path, cwd: Path) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    import sys

    old_env, old_cwd, old_stdin = os.environ.get("GUILDLIKE_HOME"), os.getcwd(), sys.stdin
    out, err = io.StringIO(), io.StringIO()
    os.environ["GUILDLIKE_HOME"] = str(home)
    os.chdir(cwd)
    sys.stdin = io.StringIO("")  # every confirmation is answered by end of input: no
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        sys.stdin = old_stdin
        os.chdir(old_cwd)
        if old_env is None:
            os.environ.pop("GUILDLIKE_HOME", None)
        else:
            os.environ["GUILDLIKE_HOME"] = old_env


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import shutil
    import subprocess
    import sys

    from reliability_support import PROJECT

    base = tmp_path_factory.mktemp("cli")
    project = base / "project"
    shutil.copytree(PROJECT, project)
    home = base / "home"
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    for args in (["quick"], ["quick", "msg=two"], ["noops"]):
        subprocess.run([sys.executable, "-m", "guildlike", "run", "-y", *args], cwd=project, env=env, check=True,
                       capture_output=True)
    return home, project


words = st.one_of(
    st.sampled_from(["runs", "info", "list", "delete", "restore", "ls", "cat", "select", "label", "tag", "check",
                     "--no-repair", "-a", "-p", "-Fo", "-Fl", "-Fs", "-Sc", "-Sce", "-n", "0", "1", "-1", "2:",
                     ":", "quick", "noops", "--json", "-s", "--path", "--set", "--add", "..", "../..", "/", "-",
                     "--", "x=1", "msg=", "${msg}", "--help-op", "--stage", "-y", "--restart", "--plan",
                     "--needed", "--print-trials", "msg=[a,b]", "-m", "99", "today", "last 2 days"]),
    st.text(max_size=8),
)
argvs = st.lists(words, min_size=1, max_size=6)


@cfg(120)
@given(argvs)
def test_cli_never_shows_a_traceback(cli_home: tuple[Path, Path], argv: list[str]) -> None:
    from guildlike.cli.main import main

    home, project = cli_home
    if argv[:1] == ["run"] and "--stage" not in argv and "--print-trials" not in argv and "--help-op" not in argv:
        argv = argv + ["--stage"]  # never start a process from here
    with _cli_env(home, project) as (out, err):
        code = main(argv)
    assert isinstance(code, int)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code not in (0, 4):  # 4: a confirmation answered (EOF) with no
        first = err.getvalue().strip().splitlines()
        assert first, (argv, code, out.getvalue())


# -- archives and run ids ------------------------------------------------------

_IDS = ["a" * 32, "b" * 32, "x.tmp", ".hidden", "c", "Run-1"]
_pieces_path = st.sampled_from(["..", ".", "", "a", "b", "esc", ".guild", "LOCK", "PENDING", "s", "\n", "\\", "é",
                                "C:", "runs"] + _IDS)
_rel = st.lists(_pieces_path, max_size=5).map("/".join)
member_names = st.one_of(
    st.tuples(st.sampled_from(_IDS), _rel).map(lambda t: f"runs/{t[0]}/{t[1]}".rstrip("/")),
    _rel, st.text(max_size=12),
)
link_targets = st.one_of(_rel, st.sampled_from(["/etc", "/", "../../..", "../" + _IDS[1] + "/out/x", ""]),
                         st.text(max_size=8))
members = st.lists(st.tuples(member_names, st.sampled_from(["file", "dir", "link"]), link_targets), max_size=8)


def _write_zip(path: Path, entries: list[tuple[str, str, str]]) -> None:
    import stat
    import warnings
    import zipfile

    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate names are part of the draw
        for raw, kind, target in entries:
            name = raw or "x"  # zipfile cannot write an empty name
            if kind == "link":
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, target)
            elif kind == "dir":
                zf.writestr(name.rstrip("/") + "/", b"")
            else:
                zf.writestr(name, "data")


def _tree(base: Path, skip: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        out.update(os.path.relpath(os.path.join(dirpath, n), base) for n in dirnames + filenames)
    return out


_A, _B = _IDS[0], _IDS[1]
# Each link reads as inside the imported runs; the kernel follows d/s first.
_CHAIN = [(f"runs/{_B}/x", "file", ""), (f"runs/{_A}/d/s", "link", f"../../{_B}"),
          (f"runs/{_A}/esc", "link", f"d/s/../../../{_A}")]


@cfg(150)
@given(members, st.booleans(), st.booleans())
@example(_CHAIN, False, False)
@example(_CHAIN + [(f"runs/{_A}/esc/EVIL", "file", "")], False, False)
@example([(f"runs/{_A}/x", "link", f"../{_B}/out/secret"), (f"runs/{_B}/f", "file", "")], False, True)
def test_archives_stay_inside_the_home(entries: list[tuple[str, str, str]], replace: bool, kept: bool) -> None:
    """Import either succeeds inside the home or fails with one line; nothing
    outside the home is written, and no imported link leads out of the runs."""
    import tempfile

    from guildlike.context import Context
    from guildlike.ops.transfer import import_runs
    from guildlike.store import runids

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        home = base / "home"
        (base / "outside").mkdir()
        (base / "outside" / "secret").write_text("secret")
        if kept:  # a run already in the home, holding a link out (as an op may make)
            (home / "runs" / _IDS[1]).mkdir(parents=True)
            os.symlink(str(base / "outside"), home / "runs" / _IDS[1] / "out")
        _write_zip(base / "in.zip", entries)
        before = _tree(base, home)
        try:
            done, _skipped = import_runs(Context(home=home, cwd=base), base / "in.zip", replace)
        except GuildlikeError as e:
            assert "\n" not in e.message and e.message, e.message
            done = []
        assert _tree(base, home) == before
        runs_real = os.path.realpath(home / "runs")
        for rid in done:
            assert runids.is_valid(rid)
            for dirpath, dirnames, filenames in os.walk(home / "runs" / rid):
                for name in dirnames + filenames:
                    full = os.path.join(dirpath, name)
                    if os.path.islink(full):
                        assert os.path.realpath(full).startswith(runs_real + os.sep), (full, os.readlink(full))
        assert not [n for n in os.listdir(home) if n.startswith(".import-")] if home.exists() else True


@cfg(300)
@given(st.one_of(st.text(max_size=20), st.sampled_from(["/abs", "../x", ".h", "x.tmp", "a.prepare", "a\n", "ok-1"])))
def test_run_ids_name_a_listed_run_or_are_refused(rid: str) -> None:
    import tempfile

    from guildlike.context import Context
    from guildlike.store import runids, scan, store
    from guildlike.store.filters import RunFilter

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ctx = Context(home=base / "home", cwd=base)
        try:
            run = store.init_run_dir(ctx, rid)
        except GuildlikeError as e:
            assert not runids.is_valid(rid)
            assert "\n" not in e.message
            assert _tree(base, base / "home") == set()
            return
        assert runids.is_valid(rid)
        assert run.path.parent == ctx.runs_dir
        assert [r.id for r in scan.scan_runs(ctx, RunFilter())] == [rid]
# -- labels reach the terminal escaped -----------------------------------------

# Any text: control characters (C0, DEL, C1), line separators, bidi overrides and
# lone surrogates (which a hand-written JSON attribute can hold) included.
label_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.lists(st.sampled_from(["\n", "\r", "\x1b[2K", "\x1b]0;t\x07", "\x9b", "\x00", "\x7f", "\u2028", "\u202e",
                              "\ud800", "[9:deadbeef]  quick  ", "completed", " ", "a", "\t"]),
             max_size=10).map("".join),
)
_RAW = set(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]) | {"\u2028", "\u2029", "\u202e"}


@pytest.fixture(scope="module")
def label_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    from guildlike.context import Context
    from guildlike.store import opref, store

    base = tmp_path_factory.mktemp("labels")
    home, project = base / "home", base / "project"
    project.mkdir()
    ctx = Context(home=home, cwd=project, env={"GUILDLIKE_HOME": str(home)})
    dirs = []
    for i in range(2):
        rid = f"{i}" * 32
        run = store.init_run_dir(ctx, rid)
        run.set("id", rid)
        run.set("started", 1_700_000_000_000_000 + i)
        run.set("exit_status", 0)
        opref.write(run.path, opref.OpRef("guildfile", str(project / "guild.yml"), "", "", "op"))
        dirs.append(run.path)
    return home, project, dirs


def _write_label(run_dir: Path, label: str) -> None:
    import json

    tmp = run_dir / ".guild" / "attrs" / ".label.tmp"
    tmp.write_text(json.dumps(label))  # ASCII JSON: a lone surrogate as its escape
    os.replace(tmp, run_dir / ".guild" / "attrs" / "label")


@cfg(150)
@given(label_text, label_text, st.booleans())
def test_runs_table_has_one_line_per_run(label_home: tuple[Path, Path, list[Path]], a: str, b: str,
                                         by_cli: bool) -> None:
    from guildlike.cli.main import main

    home, project, dirs = label_home
    _write_label(dirs[0], a)
    if by_cli:
        with _cli_env(home, project) as (out, err):
            code = main(["label", "-y", "1", "--set", b])
        assert code in (0, 2) and "Traceback" not in err.getvalue(), err.getvalue()
    else:
        _write_label(dirs[1], b)
    for args in (["runs"], ["runs", "-s"], ["runs", "info", "1"], ["select", "--attr", "label"]):
        with _cli_env(home, project) as (out, err):
            code = main(args)
        text = out.getvalue()
        assert code == 0, (args, err.getvalue())
        assert not _RAW & set(text.replace("\n", "")), (args, text)
        if args[0] == "runs" and len(args) <= 2:
            assert len(text.splitlines()) == 2, (args, text)


# -- guild.yml documents that expand: aliases and deep nesting -------------------

def _alias_doc(levels: int, width: int, merge: bool) -> str:
    lines = ["train:\n  main: train\n  flags:\n", "    a0: {default: &a0 [x, y]}\n"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"    a{i}: {{default: &a{i} [{refs}]}}\n")
    if merge:
        lines.append("    m: {<<: {default: *a%d}, type: string}\n" % levels)
    return "".join(lines)


def _deep_doc(depth: int, flow: bool, where: str) -> str:
    head = {"default": "train:\n  main: train\n  flags:\n    f:\n      default:",
            "env": "train:\n  main: train\n  env:\n    E:", "steps": "p:\n  steps:\n    -"}[where]
    if flow:
        return head + " " + "[" * depth + "]" * depth + "\n"
    body = "".join("  " * (i + 4) + f"k{i}:\n" for i in range(depth))
    return head + "\n" + body + "  " * (depth + 4) + "v: 1\n"


expanding_docs = st.one_of(
    st.builds(_alias_doc, st.integers(0, 12), st.integers(1, 12), st.booleans()),
    st.builds(_deep_doc, st.integers(1, 1200), st.booleans(), st.sampled_from(["default", "env", "steps"])),
    st.just("train: &t\n  main: train\n  flags: {x: {default: [*t]}}\n"),
)


@cfg(60)
@given(expanding_docs)
def test_expanding_guildfile_documents(project: Path, doc: str) -> None:
    import time

    path = project / "guild.yml"
    path.write_text(doc)
    t0 = time.monotonic()
    try:
        _load_everything(path, project / "cache")  # through the parsed-document cache, as a run reads it
        _load_everything(path, project / "cache")  # and from it
    except GuildlikeError as e:
        assert e.message and "\n" not in e.message, e.message  # one line
        if "invalid YAML" in e.message:
            assert str(path) in e.message, e.message
    assert time.monotonic() - t0 < 5
