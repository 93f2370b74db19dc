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
    their descriptions; shows nothing where there is no guild.yml. `ops`
    is the same command.

    Examples:

    \b
      guildlike operations
      guildlike ops
      guildlike run OP --help-op
    """
    ctx = make_context()
    path = load.find_guildfile(ctx.cwd)
    if path is None:
        return
    rows = [list(row) for row in load.load(path).op_rows()]
    if rows:
        out("\n".join(table(rows)))
