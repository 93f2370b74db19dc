"""``guildlike ls``: list the files of a run."""

from __future__ import annotations

import os
from typing import Any

import click

from ..store import files
from ..util.text import escape_text
from .common import Command, build_filter, filter_options, make_context, select_one
from .ui import out


@click.command(cls=Command)
@click.argument("run", required=False)
@click.option("-p", "--path", help="Only this path (or glob) and what is under it.")
@click.option("-f", "--full-path", is_flag=True, help="Show full paths.")
@click.option("-n", "--no-format", is_flag=True, help="Names only: no header, no indent.")
@click.option("-a", "--all", "show_all", is_flag=True, help="Include hidden files and .guild.")
@click.option("-L", "--follow-links", is_flag=True, help="Follow links to directories.")
@filter_options
def ls(
    run: str | None, path: str | None, full_path: bool, no_format: bool, show_all: bool, follow_links: bool, **kw: Any
) -> None:
    """List the files of a run.

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one; without it, the latest run. Hidden files and the .guild folder are left out unless
    --all.

    Examples:

    \b
      guildlike ls
      guildlike ls 1 -n
      guildlike ls -Fo train -p '*.txt'
      guildlike ls RUN --all
    """
    ctx = make_context()
    r = select_one(ctx, run, build_filter(kw), "ls")
    entries = files.list_files(r.path, path, show_all, follow_links)
    if not entries and path:
        return
    if full_path:
        lines = [f"{r.path}{os.sep}{e}" for e in entries]
    elif no_format:
        lines = entries
    else:
        lines = [f"{r.path}:"] + [f"  {e}" for e in entries]
    if lines:
        out("\n".join(escape_text(line) for line in lines))
