"""Infinite and NaN flag values reach an op whose flags are module globals as floats."""

from __future__ import annotations

import pytest
from reliability_support import Env

SCRIPT = "f = 1.0\ng = [0.5]\nprint('f', type(f).__name__, repr(f))\nprint('g', repr(g))\n"
GUILDFILE = "fl:\n  main: fl\n  flags-dest: globals\n  flags:\n    f: .inf\n    g: [0.5]\n"


@pytest.mark.parametrize(
    "args,f_out",
    [([], "f float inf"), (["f=.nan"], "f float nan"), (["f=-.inf"], "f float -inf"), (["f=.inf"], "f float inf")],
)
def test_special_floats_as_globals(genv: Env, args: list[str], f_out: str) -> None:
    (genv.project / "fl.py").write_text(SCRIPT)
    (genv.project / "guild.yml").write_text(GUILDFILE)
    res = genv.ok("run", "-y", "fl", *args)
    assert f_out in res.out.splitlines(), str(res)


def test_special_floats_in_trials_and_a_script_run(genv: Env) -> None:
    (genv.project / "fl.py").write_text(SCRIPT)
    (genv.project / "guild.yml").write_text(GUILDFILE)
    res = genv.ok("run", "-y", "fl.py", "f=.nan")
    assert "f float nan" in res.out.splitlines(), str(res)
    res = genv.ok("run", "-y", "fl", "g=[1, .inf, -.inf]")
    # a list is a batch: one trial per value
    assert {"g 1", "g inf", "g -inf"} <= set(res.out.splitlines()), str(res)
