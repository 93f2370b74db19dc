"""``guildlike diff``: why two runs' results differ."""

from __future__ import annotations

from typing import Any

import click

from ..ops import diff as diffmod
from ..util.text import escape_text
from .common import Command, build_filter, filter_options, make_context
from .ui import out


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN1 [RUN2]]", nargs=-1)
@click.option("-f", "--flags", is_flag=True, help="Show the flags that changed.")
@click.option("-a", "--attrs", is_flag=True, help="Show every attribute that changed.")
@click.option("-s", "--sourcecode", is_flag=True, help="Show a diff of the two source snapshots.")
@click.option("-O", "--output", is_flag=True, help="Show a diff of the two outputs.")
@click.option("-e", "--env", is_flag=True, help="Show the environment variables that changed.")
@click.option("-D", "--deps", is_flag=True, help="Show the upstream runs that differ, recursively.")
@click.option("--working", is_flag=True, help="Compare RUN1's source snapshot with the project folder.")
@click.option("-c", "--cmd", metavar="CMD", help="Run CMD on the two folders or files instead.")
@filter_options
def diff(runs_arg: tuple[str, ...], flags: bool, attrs: bool, sourcecode: bool, output: bool, env: bool,
         deps: bool, working: bool, cmd: str | None, **kw: Any) -> None:
    """Show why two runs differ.

    RUN1 and RUN2 are indexes in the filtered list (1 is the newest), ids
    or starts of ids; without them, runs 2 and 1 (the latest two), in that
    order. Without options the report shows the flags that changed, code
    identity (git commit, clean or dirty), a unified diff of the source
    snapshots, upstream runs that differ (requires and pipeline steps,
    followed recursively) and output files whose hashes differ. The options
    choose sections; with --cmd, CMD runs on the two run folders (or the
    files those options name: attrs/flags, attrs/env, attrs/deps, output,
    the attrs folder) and its output is shown, whatever its exit status.

    Examples:

    \b
      guildlike diff
      guildlike diff 2 1 -f
      guildlike diff RUN1 RUN2 -s -D
      guildlike diff --working
      guildlike diff -c 'diff -ru'
    """
    ctx = make_context()
    chosen = dict(flags=flags, attrs=attrs, sourcecode=sourcecode, output=output, env=env, deps=deps)
    sections = tuple(name for name in diffmod.ALL_SECTIONS if chosen.get(name))
    opts = diffmod.DiffOptions(sections=sections, working=working, cmd=cmd)
    lines = diffmod.diff(ctx, runs_arg, build_filter(kw), opts)
    if lines:
        out("\n".join(escape_text(line) for line in lines))
