"""``guildlike select``: print a run's id, directory or an attribute."""

from __future__ import annotations

from typing import Any

import click

from ..errors import GuildlikeError
from ..ops.stopping import running_pid
from ..store import attrs
from ..util import yamlutil
from ..util.text import escape_text
from ..util.timeutil import format_us
from .common import Command, build_filter, filter_options, make_context, select_one
from .ui import out


def format_attr(run: Any, name: str) -> str:
    if name == "status":
        return str(run.status)
    if name in ("label",):
        return escape_text(run.label)
    if name == "pid":  # while running, else empty (Guild's)
        return str(running_pid(run) or "") if run.status == "running" else ""
    if name == "marked":
        return "yes" if attrs.read(run.path, name) is True else "no"
    # Read from the run directory: a listing may hold a cached copy that
    # is not the attribute file as written (an absent ``tags`` as ``[]``).
    val = attrs.read(run.path, name)
    if val is None:
        raise GuildlikeError(f"no such run attribute '{name}'")
    if name in ("started", "stopped", "initialized") and isinstance(val, int):
        return format_us(val)
    if isinstance(val, (dict, list)):
        return yamlutil.dump(val).rstrip("\n")
    if isinstance(val, bool):
        return "true" if val else "false"
    return escape_text(str(val))


@click.command(cls=Command)
@click.argument("run", required=False)
@click.option("-s", "--short-id", is_flag=True, help="Print the short id.")
@click.option("--path", "--dir", "path", is_flag=True, help="Print the run directory.")
@click.option("-a", "--attr", help="Print an attribute of the run.")
@filter_options
def select(run: str | None, short_id: bool, path: bool, attr: str | None, **kw: Any) -> None:
    """Select a run and print its id, directory or an attribute.

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one; without it, the latest run the filters select. For
    scripts: the output is the value alone.

    Examples:

    \b
      guildlike select
      guildlike select -Fo train -Sc --short-id
      guildlike select 1 --path
      guildlike select RUN -a flags
    """
    ctx = make_context()
    r = select_one(ctx, run, build_filter(kw), "select")
    if attr:
        out(format_attr(r, attr))
    elif path:
        out(str(r.path))
    elif short_id:
        out(r.short_id)
    else:
        out(r.id)
