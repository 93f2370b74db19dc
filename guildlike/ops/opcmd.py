"""The command line and environment of an operation's process."""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any

from ..context import Context
from ..errors import FlagError, OpDefError
from ..guildfile import execsafe
from ..guildfile.load import main_module
from ..guildfile.opdef import OpDef
from ..store.run import Run
from ..util.yamlutil import encode_value


def flag_arg_value(val: Any) -> str:
    if isinstance(val, str):
        return val
    return encode_value(val)


def flag_args(opdef: OpDef, flags: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for name in sorted(flags):
        val = flags[name]
        if val is None:
            continue
        fd = opdef.flags.get(name)
        arg_name = fd.arg_name if fd and fd.arg_name else name
        if fd is not None and fd.arg_switch is not None:
            if bool(val) == fd.arg_switch:
                args.append(f"--{arg_name}")
            continue
        args.extend([f"--{arg_name}", flag_arg_value(val)])
    return args


def flag_env(opdef: OpDef, flags: dict[str, Any]) -> dict[str, str]:
    """Each flag's value in its environment variable (``FLAG_NAME`` or its env-name)."""
    env: dict[str, str] = {}
    for name in sorted(flags):
        val = flags[name]
        if val is None:
            continue
        fd = opdef.flags.get(name)
        env[execsafe.env_var_name(name, fd.env_name if fd else None)] = flag_arg_value(val)
    return env


def _exec_cmd(opdef: OpDef, flags: dict[str, Any], fargs: list[str]) -> list[str]:
    try:
        argv = shlex.split(opdef.exec or "")
    except ValueError as e:
        raise OpDefError(f"invalid exec for {opdef.full_name}: {e}") from None
    if not argv:
        raise OpDefError(f"invalid exec for {opdef.full_name}: empty command")
    env_names = {n: fd.env_name for n, fd in opdef.flags.items() if fd.env_name}
    execsafe.check_exec(argv, set(opdef.flags) | set(flags), env_names, f"operation {opdef.full_name}")
    cmd = execsafe.substitute(argv, flags, fargs, {"python_exe": sys.executable})
    if not cmd or not cmd[0]:
        raise OpDefError(f"invalid exec for {opdef.full_name}: empty command")
    return cmd


def _check_nul(cmd: list[str], env: dict[str, str]) -> None:
    for text in [*cmd, *env.values()]:
        if "\0" in text:
            raise FlagError("a flag value cannot contain a NUL character")


def command(opdef: OpDef, flags: dict[str, Any]) -> list[str]:
    """The command line of the op's process (``run --print-cmd`` shows it)."""
    fargs = flag_args(opdef, flags)
    if opdef.exec:
        return _exec_cmd(opdef, flags, fargs)
    if not opdef.main:
        raise OpDefError(f"operation {opdef.full_name} has no main, exec or steps")
    module, margs = main_module(opdef.main)
    module = (execsafe.substitute([module], flags, [], {}) or [""])[0]
    margs = execsafe.substitute(margs, flags, [], {})
    return [sys.executable, "-um", "guildlike.op_main", module, *margs, "--", *fargs]


def _source_dirs(run: Run) -> list[str]:
    """Where the run's source is: the run folder (and ``.guild/sourcecode``,
    where Guild before 0.9 copied it)."""
    old_guild = run.guild_dir / "sourcecode"
    return [str(run.path)] + ([str(old_guild)] if old_guild.is_dir() else [])


def build(ctx: Context, run: Run, opdef: OpDef, flags: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    env = dict(ctx.env)
    env.update(opdef.env)
    env.update(flag_env(opdef, flags))
    env.update(
        {
            "RUN_DIR": str(run.path),
            "RUN_ID": run.id,
            "GUILDLIKE_HOME": str(ctx.home),
            "PROJECT_DIR": opdef.project_dir,
            "PYTHONUNBUFFERED": "1",
        }
    )
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join([*_source_dirs(run), *([pp] if pp else [])])
    cmd = command(opdef, flags)
    _check_nul(cmd, env)
    if opdef.exec:
        return cmd, env
    if opdef.flags_dest == "globals":
        env["GUILDLIKE_FLAGS_DEST"] = "globals"
        env["GUILDLIKE_FLAGS"] = json.dumps(flags)
    else:
        env.pop("GUILDLIKE_FLAGS_DEST", None)
        env.pop("GUILDLIKE_FLAGS", None)
    return cmd, env
