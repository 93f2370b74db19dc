"""Attributes of the wrong type, huge time ranges and bugs: a one-line error or
a sensible result, never a traceback."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from reliability_support import Env

from guildlike.store.attr_types import TYPES

COMMANDS = [
    ["runs"], ["runs", "-a", "-s"], ["runs", "info"], ["runs", "info", "--json"], ["runs", "log"],
    ["runs", "log", "--json"], ["select"], ["select", "--attr", "started"], ["check", "--no-repair"],
    ["runs", "-Fs", "today"], ["runs", "-Sc"], ["ls"], ["run", "--restart", "1", "--plan"],
]


def _wrong(name: str) -> str:
    """A JSON value of the wrong type for the attribute."""
    return "12" if TYPES[name] == (str,) else '"yesterday"'


def _set_attr(run_dir: Path, name: str, text: str) -> None:
    from guildlike.store.attrs import file_name

    tmp = run_dir / ".guild" / "attrs" / f".{name}.tmp"
    tmp.write_text(text)
    tmp.rename(run_dir / ".guild" / "attrs" / file_name(name))


@contextlib.contextmanager
def _in(genv: Env) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    old_cwd, old_home = os.getcwd(), os.environ.get("GUILDLIKE_HOME")
    out, err = io.StringIO(), io.StringIO()
    os.chdir(genv.project)
    os.environ["GUILDLIKE_HOME"] = str(genv.home)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        os.chdir(old_cwd)
        if old_home is None:
            os.environ.pop("GUILDLIKE_HOME", None)
        else:
            os.environ["GUILDLIKE_HOME"] = old_home


def _cli(genv: Env, *args: str) -> tuple[int, str, str]:
    from guildlike.cli.main import main

    with _in(genv) as (out, err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A home with one completed run, copied by each test that changes it."""
    e = Env(tmp_path_factory.mktemp("one-run"))
    e.ok("run", "-y", "quick")
    yield e
    e.close()


@pytest.mark.parametrize("name", sorted(TYPES))
def test_attribute_of_the_wrong_type(genv: Env, one_run: Env, name: str) -> None:
    shutil.copytree(one_run.home, genv.home)
    rid = genv.run_ids()[0]
    _set_attr(genv.run_dir(rid), name, _wrong(name))
    for args in COMMANDS:
        code, out, err = _cli(genv, *args)
        assert "internal error" not in err and "Traceback" not in out + err, (args, out, err)
        if code:
            assert err.startswith("guildlike: ") or args[0] == "check", (args, code, err)
    code, out, err = _cli(genv, "runs", "info")
    assert code == 0, err
    assert f"attribute {name} is not" in out or name in ("id",), out


def test_started_yesterday_shows_as_damaged(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    _set_attr(genv.run_dir(genv.run_ids()[0]), "started", '"yesterday"')
    res = genv.ok("runs", "info")
    assert "damaged: attribute started is not an integer" in res.out.splitlines()
    assert "started: " in res.out.splitlines()
    genv.ok("runs", "log")
    genv.ok("select")
    genv.ok("runs")


def test_flags_as_text(genv: Env) -> None:
    """A ``flags`` attribute that is a string: log, restart and plan treat the run as having no flags."""
    genv.ok("run", "-y", "quick", "msg=one")
    rid = genv.run_ids()[0]
    _set_attr(genv.run_dir(rid), "flags", '"msg=one"')
    genv.ok("runs", "log")
    genv.ok("run", "--restart", rid, "--plan")
    res = genv.ok("run", "--restart", rid, "-y")
    assert "quick: hello" in res.out  # the default again
    assert genv.attr(rid, "flags") == {"msg": "hello"}


SPECS = ["last 99999999999999 days", "last " + "9" * 5000 + " minutes", "before 0001-01-01", "after 9999-12-31 23:59",
         "between 0001-01-01 and 9999-12-31", "after 0001-01-01 00:00:00"]


def test_extreme_time_ranges(genv: Env, one_run: Env) -> None:
    shutil.copytree(one_run.home, genv.home)
    for spec in SPECS:
        for extra in ([], ["-Sc"], ["-d"]):  # the index, a status filter, the trash (a folder scan)
            code, out, err = _cli(genv, "runs", "-Fs", spec, *extra)
            assert code == 0 and not err, (spec, err)
            everything = spec.startswith(("last", "between", "after 0001")) and extra != ["-d"]
            assert len(out.splitlines()) == (1 if everything else 0), (spec, out)


BOOM = '''
import click
import guildlike.cli.main as m

@click.command()
def boom() -> None:
    raise RuntimeError("boom \\x1b[31m")

m.COMMANDS["boom"] = ("__main__", "boom", "Fail.")
raise SystemExit(m.main(["boom"]))
'''


@pytest.mark.parametrize("debug", ["", "1"])
def test_an_unexpected_error_is_one_line(tmp_path: Path, debug: str) -> None:
    """The CLI's last resort: a bug prints one line and a hint, the traceback only with GUILDLIKE_DEBUG=1."""
    env = {k: v for k, v in os.environ.items() if k != "GUILDLIKE_DEBUG"}
    if debug:
        env["GUILDLIKE_DEBUG"] = debug
    p = subprocess.run([sys.executable, "-c", BOOM], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    if debug:
        assert "Traceback" in p.stderr and "RuntimeError: boom" in p.stderr
        lines = [ln for ln in lines if ln.startswith("guildlike:") or ln.startswith("This is a bug")]
    else:
        assert "Traceback" not in p.stderr
    assert lines[0] == "guildlike: internal error: RuntimeError: boom \\x1b[31m", p.stderr
    assert lines[1].startswith("This is a bug in guildlike: please report it"), p.stderr
    assert len(lines) == 2, p.stderr
