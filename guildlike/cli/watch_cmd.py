"""``guildlike watch``: follow a run's output until it stops."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import GuildlikeError
from ..ops import watching
from ..store import status, store
from .common import Command, build_filter, filter_options, make_context, select_one
from .ui import err, out


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@click.command(cls=Command)
@click.argument("run", required=False)
@filter_options
def watch(run: str | None, **kw: Any) -> None:
    """Follow a run's output until it stops.

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one; without it, the newest running run. Prints the output
    so far, then the output as it comes, then the run's status. A
    pipeline shows its steps' output. Exits 0 when the run completed, 1
    when it failed or was stopped; Ctrl-C stops watching, not the run.

    Examples:

    \b
      guildlike watch
      guildlike watch RUN
      guildlike watch -Fo train
    """
    ctx = make_context()
    flt = build_filter(kw)
    if run is None:
        flt.statuses.add(status.RUNNING)
        if not store.list_runs(ctx, flt):
            raise GuildlikeError(
                "nothing to watch", ["You can view the output of a specific run using 'guildlike watch RUN'."]
            )
    target = select_one(ctx, run, flt, "watch")
    err(f"Watching run {target.id}")
    try:
        st = watching.follow(target, _write)
    except KeyboardInterrupt:
        out("")
        out(f"Stopped watching {target.id} (still running)")
        return
    err(f"Run {target.id} stopped with a status of '{st}'")
    if st != status.COMPLETED:
        raise GuildlikeError("", exit_code=1)
