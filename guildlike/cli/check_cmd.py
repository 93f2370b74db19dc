"""``guildlike check``: verify the run index and the run directories, and repair."""

from __future__ import annotations

import click

from ..errors import GuildlikeError
from ..store import doctor
from ..util.text import escape_text
from .common import make_context
from .ui import out


@click.command()
@click.option("--repair/--no-repair", default=True, help="Fix what can be fixed (default).")
def check(repair: bool) -> None:
    """Check the run index and run directories, and repair.

    Checks that the index agrees with the run directories, removes what
    interrupted imports and run preparations left behind and the locks of
    dead processes, and reports damaged runs. With --no-repair, only
    reports. Exits with an error when a
    problem is left unrepaired.

    Examples:

    \b
      guildlike check
      guildlike check --no-repair
    """
    ctx = make_context()
    report = doctor.check(ctx, repair)
    for line in report.lines:
        out(escape_text(line))
    if report.unrepaired:
        raise GuildlikeError(f"{report.unrepaired} problem(s) left unrepaired")
