"""What ``run --print-cmd`` shows: the command an operation would run."""

from __future__ import annotations

import shlex
from typing import Any

from ..guildfile.opdef import OpDef
from . import opcmd, stepdefs


def command_lines(opdef: OpDef, flags: dict[str, Any]) -> list[str]:
    """The op's process command line; for a pipeline, the ``run`` of each step.

    A pipeline has no process of its own: guildlike runs its steps, one
    ``guildlike run`` each, with the flags the step gets.
    """
    if not opdef.is_pipeline:
        return [shlex.join(opcmd.command(opdef, flags))]
    lines = []
    for step in stepdefs.parse_steps(opdef):
        args = stepdefs.log_args(step, stepdefs.step_flags(step, flags), [])
        lines.append(f"guildlike run {stepdefs.step_opspec(opdef, step)} {args}".rstrip())
    return lines
