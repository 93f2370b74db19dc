"""What a shell may complete: the project's operations, an operation's flags, runs.

Completion runs on every Tab: these functions read what is cheap to read
and never raise (a broken guild.yml completes nothing).
"""

from __future__ import annotations

import os

from ..context import Context
from ..errors import GuildlikeError
from ..guildfile import load
from ..store import store
from ..store.filters import RunFilter
from .opdefs import flags_cache_dir, resolve_opdef

MAX_INDEXES = 20  # the runs a plain `runs` lists


def operations(ctx: Context) -> list[tuple[str, str]]:
    """(name, description) of each operation of the project, then its Python scripts."""
    found: list[tuple[str, str]] = []
    try:
        path = load.find_guildfile(ctx.cwd)
        if path is not None:
            for model in load.load(path, flags_cache_dir(ctx)).models:
                for name, op in model.ops.items():
                    full = f"{model.name}:{name}" if model.name else name
                    found.append((full, str((op or {}).get("description", "") or "")))
        scripts = sorted(n for n in os.listdir(ctx.cwd) if n.endswith(".py") and not n.startswith("."))
    except (GuildlikeError, OSError):
        return found
    return found + [(name, "") for name in scripts]


def flags(ctx: Context, opspec: str) -> list[tuple[str, str]]:
    """(``NAME=``, description) of each flag of ``opspec``; none when it cannot be resolved."""
    try:
        opdef = resolve_opdef(ctx, opspec)
    except (GuildlikeError, OSError):
        return []
    return [(f"{name}=", opdef.flags[name].description or "") for name in sorted(opdef.flags)]


def runs(ctx: Context, incomplete: str, deleted: bool = False) -> list[tuple[str, str]]:
    """Indexes of the newest runs and the ids starting with ``incomplete``, each with its operation and status."""
    try:
        listed = store.list_runs(ctx, RunFilter(), deleted=deleted)
        found: list[tuple[str, str]] = []
        for i, run in enumerate(listed[:MAX_INDEXES], 1):
            if str(i).startswith(incomplete):
                found.append((str(i), f"{run.op_name} {run.status} {run.label}".strip()))
        if incomplete:
            ids: list[str] = getattr(listed, "ids", None) or [r.id for r in listed]
            found += [(rid, "") for rid in ids if rid.startswith(incomplete)][:100]
        return found
    except (GuildlikeError, OSError):
        return []
