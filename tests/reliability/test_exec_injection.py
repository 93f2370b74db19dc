"""A flag value never becomes shell (or other interpreter) code.

``exec`` templates are split before flag values are put in; a flag reference
inside the code an interpreter runs (``sh -c SCRIPT``, ``python -c CODE``) is
refused with the safe form, and every flag is also in the environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_support import Env, assert_clean_error

from guildlike.context import Context
from guildlike.errors import FlagError, OpDefError
from guildlike.guildfile import execsafe
from guildlike.guildfile.opdef import FlagDef, OpDef
from guildlike.ops import opcmd
from guildlike.store.run import Run

EVIL = "a;touch pwned-1 $(touch pwned-2) `touch pwned-3` \"'$(touch pwned-4)'\""

UNSAFE = [
    ("sh-single", "sh -c 'echo ${x}'"),
    ("sh-double", "sh -c \"echo ${x}\""),
    ("sh-quoted-ref", "sh -c 'echo \"${x}\"'"),
    ("bash-path", "/bin/bash -c 'echo ${x}'"),
    ("bash-ec", "bash -ec 'echo ${x}'"),
    ("dash-opts", "dash -e -c 'echo ${x}'"),
    ("zsh", "zsh -c 'echo ${x}'"),
    ("env-wrapper", "env A=1 sh -c 'echo ${x}'"),
    ("python", "python3 -c 'print(\"${x}\")'"),
    ("flag-args", "sh -c 'echo ${flag_args}'"),
]


def _write(genv: Env, body: str) -> None:
    (genv.project / "guild.yml").write_text(body)


@pytest.mark.parametrize("name,exec_", UNSAFE, ids=[u[0] for u in UNSAFE])
def test_flag_in_interpreter_code_is_refused(genv: Env, name: str, exec_: str) -> None:
    _write(genv, "op:\n  exec: |-\n    " + exec_ + "\n  flags:\n    x: a\n")
    res = genv.gl("run", "-y", "op", f"x={EVIL}")
    assert_clean_error(res)
    first = res.err.splitlines()[0]
    assert "in place of ${" in first or "pass them as arguments" in first, first
    assert list(genv.project.glob("pwned*")) == []
    assert genv.run_ids() == [], "a refused op leaves no run"


def test_refusal_shows_the_safe_form(genv: Env) -> None:
    _write(genv, "op:\n  exec: sh -c 'echo ${x}'\n  flags:\n    x: {default: a, env-name: MY_X}\n")
    res = genv.gl("run", "-y", "op")
    assert_clean_error(res)
    assert 'use "$MY_X" in place of ${x}' in res.err


def test_safe_forms_pass_values_as_data(genv: Env) -> None:
    _write(
        genv,
        "env:\n  exec: sh -c 'printf %s \"$FLAG_X\" > env.txt'\n  flags:\n    x: a\n"
        "named:\n  exec: sh -c 'printf %s \"$MY_X\" > named.txt'\n  flags:\n    x: {default: a, env-name: MY_X}\n"
        "pos:\n  exec: sh -c 'printf %s \"$1\" > pos.txt' sh ${x}\n  flags:\n    x: a\n"
        "args:\n  exec: sh -c 'printf \"%s|\" \"$@\" > args.txt' sh ${flag_args}\n  flags:\n    x: a\n",
    )
    for op, out in (("env", "env.txt"), ("named", "named.txt"), ("pos", "pos.txt")):
        genv.ok("run", "-y", op, f"x={EVIL}")
        rid = genv.ids_of(op)[0]
        assert (genv.run_dir(rid) / out).read_text() == EVIL
    genv.ok("run", "-y", "args", f"x={EVIL}")
    assert (genv.run_dir(genv.ids_of("args")[0]) / "args.txt").read_text() == f"--x|{EVIL}|"
    assert not [p for p in genv.runs_dir.rglob("pwned*")]


def test_quoted_reference_outside_a_shell_is_the_value(genv: Env) -> None:
    """Split first, substitute after: quotes in the template do not leak into the value."""
    _write(genv, "op:\n  exec: python3 write.py \"${x}\" '${x}'\n  flags:\n    x: a\n")
    (genv.project / "write.py").write_text(
        "import sys\nopen('argv.txt', 'w').write('|'.join(sys.argv[1:]))\n"
    )
    value = "it's \"b\" $(touch pwned)"
    genv.ok("run", "-y", "op", f"x={value}")
    rid = genv.run_ids()[0]
    assert (genv.run_dir(rid) / "argv.txt").read_text() == f"{value}|{value}"


def _opdef(exec_: str) -> OpDef:
    return OpDef(name="op", exec=exec_, flags={"x": FlagDef(name="x", default="a")})


def test_build_refuses_a_stored_unsafe_exec(tmp_path: Path) -> None:
    """A run recorded before the check (a restart replays its stored op) is refused too."""
    ctx = Context(home=tmp_path, cwd=tmp_path, env={})
    run = Run("r1", tmp_path / "r1")
    with pytest.raises(OpDefError, match=r'use "\$FLAG_X" in place of \$\{x\}'):
        opcmd.build(ctx, run, _opdef("bash -c 'echo ${x}'"), {"x": "a;id"})
    cmd, env = opcmd.build(ctx, run, _opdef("echo ${x}"), {"x": "a;id"})
    assert cmd == ["echo", "a;id"] and env["FLAG_X"] == "a;id"
    with pytest.raises(FlagError, match="NUL"):
        opcmd.build(ctx, run, _opdef("echo ${x}"), {"x": "a\0b"})


@pytest.mark.parametrize(
    "argv,index",
    [
        (["sh", "-c", "s"], 2),
        (["sh", "-xc", "s", "a"], 2),
        (["bash", "-e", "-o", "pipefail", "-c", "s"], 5),
        (["bash", "-c", "-o", "pipefail", "s", "a"], 4),
        (["bash", "--norc", "-c", "s"], 3),
        (["sh", "-c", "--", "s"], 3),
        (["python", "-W", "ignore", "-c", "s"], 4),
        (["python", "-Wc", "-c", "s"], 3),
        (["python", "-m", "mod", "-c", "s"], None),
        (["node", "--eval", "s"], 2),
        (["/usr/bin/env", "bash", "-c", "s"], 3),
        (["busybox", "sh", "-c", "s"], 3),
        (["python3.11", "-u", "-c", "s"], 3),
        (["python", "-cs"], 1),
        (["sh", "script.sh", "-c"], None),
        (["echo", "-c", "s"], None),
        (["perl", "-e", "s"], 2),
        (["node", "-e", "s"], 2),
    ],
)
def test_code_argument(argv: list[str], index: int | None) -> None:
    found = execsafe.code_argument(argv)
    assert (found[0] if found else None) == index


def test_flag_env_names() -> None:
    assert execsafe.env_var_name("lr") == "FLAG_LR"
    assert execsafe.env_var_name("a.b-c") == "FLAG_A_B_C"
    assert execsafe.env_var_name("x", "MY_X") == "MY_X"


def test_env_name_must_be_a_variable_name(genv: Env) -> None:
    _write(genv, "op:\n  exec: 'true'\n  flags:\n    x: {default: a, env-name: 'A=B'}\n")
    res = genv.gl("run", "-y", "op")
    assert_clean_error(res)
    assert "env-name of flag 'x'" in res.err
