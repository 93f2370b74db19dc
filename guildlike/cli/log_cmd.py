"""``guildlike runs log``: the run log of a run or a whole pipeline."""

from __future__ import annotations

import json
from typing import Any

import click

from ..util.text import escape_text
from .common import Command, build_filter, filter_options, make_context, select_one
from .ui import out


@click.command("log", cls=Command)
@click.argument("run", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@filter_options
def log(run: str | None, as_json: bool, **kw: Any) -> None:
    """Show the run log of a run or a whole pipeline.

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one; without it, the latest run. The log shows, for the run
    and each of its steps or trials: flags, every attempt (first run and
    restarts), code identity, hashes of the files it wrote, and the last
    scalar values.

    Examples:

    \b
      guildlike runs log
      guildlike runs log -Fo pipeline
      guildlike runs log RUN --json
    """
    ctx = make_context()
    r = select_one(ctx, run, build_filter(kw), "runs log")
    from ..ops import runlog  # lazy: `runs` loads this module for its subcommand list

    doc = runlog.document(r, ctx.runs_dir)
    if as_json:
        out(json.dumps(doc, indent=2, default=str))
    else:
        out("\n".join(escape_text(line) for line in runlog.tree(doc)))
