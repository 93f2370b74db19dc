"""The command line and environment of an operation's process."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from typing import Any

from ..context import Context
from ..errors import OpDefError
from ..guildfile.load import main_module
from ..guildfile.opdef import OpDef
from ..store.run import Run
from ..util.yamlutil import encode_value

_REF = re.compile(r"\$\{([^}]+)\}")


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


def _substitute(text: str, flags: dict[str, Any], extra: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in extra:
            return extra[name]
        if name in flags and flags[name] is not None:
            return shlex.quote(flag_arg_value(flags[name]))
        return ""

    return _REF.sub(repl, text)


def build(ctx: Context, run: Run, opdef: OpDef, flags: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    env = dict(ctx.env)
    env.update(opdef.env)
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
    env["PYTHONPATH"] = str(run.path) + (os.pathsep + pp if pp else "")
    fargs = flag_args(opdef, flags)
    if opdef.exec:
        text = _substitute(
            opdef.exec,
            flags,
            {"flag_args": " ".join(shlex.quote(a) for a in fargs), "python_exe": sys.executable},
        )
        try:
            cmd = shlex.split(text)
        except ValueError as e:
            raise OpDefError(f"invalid exec for {opdef.full_name}: {e}") from None
        if not cmd:
            raise OpDefError(f"invalid exec for {opdef.full_name}: empty command")
        return cmd, env
    if not opdef.main:
        raise OpDefError(f"operation {opdef.full_name} has no main, exec or steps")
    module, margs = main_module(_substitute(opdef.main, flags, {}))
    cmd = [sys.executable, "-um", "guildlike.op_main", module, *margs, "--", *fargs]
    if opdef.flags_dest == "globals":
        env["GUILDLIKE_FLAGS_DEST"] = "globals"
        env["GUILDLIKE_FLAGS"] = json.dumps(flags)
    else:
        env.pop("GUILDLIKE_FLAGS_DEST", None)
        env.pop("GUILDLIKE_FLAGS", None)
    return cmd, env
