"""``guildlike cat``: show a run file or the run's output."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import UsageError
from ..store import files
from .common import Command, build_filter, filter_options, make_context, select_one


@click.command(cls=Command)
@click.argument("run", required=False)
@click.option("-p", "--path", help="File to show, relative to the run directory.")
@click.option("--output", is_flag=True, help="Show the run's output.")
@filter_options
def cat(run: str | None, path: str | None, output: bool, **kw: Any) -> None:
    """Show a file of a run, or its output.

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one; without it, the latest run. Give the file with --path,
    or use --output for what the run printed.

    Examples:

    \b
      guildlike cat --output
      guildlike cat 1 -p model.txt
      guildlike cat -Fo train --output
    """
    ctx = make_context()
    r = select_one(ctx, run, build_filter(kw), "cat")
    if output:
        rel = ".guild/output"
    elif path:
        rel = path
    else:
        raise UsageError("specify a file with --path or use --output")
    try:
        data = files.read_file(r.path, rel)
    except Exception:
        if output:
            return
        raise
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
