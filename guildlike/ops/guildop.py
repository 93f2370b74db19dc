"""Guild's view of a guildlike run's operation, so that Guild can restart it.

Guild restarts a run from its ``op`` attribute (the command to run, with
``__flag_args__`` where the flags go, its environment and how flags are
passed) and, for a pipeline, its ``steps`` attribute. guildlike writes both
in Guild's format beside its own record (``_op``); Guild then runs the
operation with its own ``guild.op_main`` / ``guild.steps_main``.
"""

from __future__ import annotations

import shlex
from typing import Any

from ..guildfile.opdef import OpDef

FLAG_ARGS = "__flag_args__"


def _cmd_args(opdef: OpDef) -> list[str]:
    if opdef.is_pipeline:
        return ["${guild_python_exe}", "-um", "guild.steps_main"]
    if opdef.exec:
        try:
            argv = shlex.split(opdef.exec)
        except ValueError:
            argv = []
        return [FLAG_ARGS if a == "${flag_args}" else a for a in argv]
    try:
        parts = shlex.split(opdef.main or "")
    except ValueError:
        parts = []
    if parts and parts[0].endswith(".py"):  # a script: Guild runs it as a module
        parts[0] = parts[0][: -len(".py")].replace("/", ".")
    return ["${python_exe}", "-um", "guild.op_main", *parts, "--", FLAG_ARGS]


def _cmd_flags(opdef: OpDef) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, fd in sorted(opdef.flags.items()):
        data: dict[str, Any] = {}
        if fd.arg_name:
            data["arg-name"] = fd.arg_name
        if fd.arg_switch is not None:
            data["arg-switch"] = fd.arg_switch
        if fd.env_name:
            data["env-name"] = fd.env_name
        out[name] = data
    return out


def op_config(opdef: OpDef) -> dict[str, Any] | None:
    """The ``op`` attribute Guild would write for ``opdef``; None for a batch
    (Guild restarts batches its own way)."""
    if opdef.batch is not None:
        return None
    env = dict(opdef.env)
    env.update({"PROJECT_DIR": opdef.project_dir, "PYTHONPATH": "."})
    if not opdef.is_pipeline:
        env["FLAGS_DEST"] = opdef.flags_dest
    cmd: dict[str, Any] = {"cmd-args": _cmd_args(opdef), "cmd-env": env, "flags-dest": opdef.flags_dest}
    if not opdef.is_pipeline:
        cmd["cmd-flags"] = _cmd_flags(opdef)
    return {
        "delete-on-success": False,
        "deps": [],
        "flag-null-labels": {},
        "flags-extra": {},
        "label-template": opdef.label,
        "op-cmd": cmd,
        "output-scalars": opdef.output_scalars,
        "python-requires": None,
        "sourcecode": {"dest": "."},
    }
