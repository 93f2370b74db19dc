"""``guildlike operations``: the operations the project defines."""

from __future__ import annotations

import click

from ..guildfile import load
from .common import make_context
from .rows import table
from .ui import out


@click.command()
def operations() -> None:
    """Show the operations defined in the project's guild.yml."""
    ctx = make_context()
    path = load.find_guildfile(ctx.cwd)
    if path is None:
        return
    gf = load.load(path)
    rows = []
    for model in gf.models:
        for name, op in model.ops.items():
            full = f"{model.name}:{name}" if model.name else name
            rows.append([full, (op or {}).get("description", "") or ""])
    if rows:
        out("\n".join(table(rows)))
