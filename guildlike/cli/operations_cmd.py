"""``guildlike operations``: the operations the project defines."""

from __future__ import annotations

import click

from ..guildfile import load
from .common import make_context
from .rows import table
from .ui import out


@click.command()
def operations() -> None:
    """Show the project's operations.

    Lists the operations of the guild.yml in the current directory, with
    their descriptions; shows nothing where there is no guild.yml.

    Examples:

    \b
      guildlike operations
      guildlike run OP --help-op
    """
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
