"""``guildlike runs stop`` (and ``guildlike stop``): stop running runs."""

from __future__ import annotations

from typing import Any

import click

from ..errors import GuildlikeError
from ..ops import stopping
from .common import Command, build_filter, confirm, filter_options, make_context, run_rows, select_runs
from .ui import err, out


@click.command("stop", cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=stopping.DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds a run gets to end after SIGTERM before SIGKILL.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def stop(runs_arg: tuple[str, ...], timeout: float, yes: bool, **kw: Any) -> None:
    """Stop running runs.

    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP of indexes. Without RUN, all the
    running runs the filters select are stopped.

    Each run's process gets SIGTERM, and SIGKILL if it has not ended
    after --timeout seconds; the run is then `terminated`. A run whose
    process runs on another host (a cluster's worker) gets a stop marker
    instead, and the side that runs it stops it the same way. Stopping a
    pipeline stops its running step, stopping a batch its running
    trials: `guildlike run --restart RUN --needed` finishes them later.
    The command returns once the runs have ended.

    Examples:

    \b
      guildlike runs stop -y
      guildlike runs stop 1
      guildlike stop -Fo train -y
    """
    ctx = make_context()
    flt = build_filter(kw)
    if not runs_arg:
        flt.statuses.add("running")
    found, idle = stopping.targets(select_runs(ctx, runs_arg, flt, "runs stop"))
    for run in idle:
        out(f"Run {run.id} is not running")
    if not found:
        if not idle:
            err("Nothing to stop.")
        return
    if not yes:
        rows = run_rows(ctx, [t.run for t in found])
        confirm(["You are about to stop the following runs:"] + rows, f"Stop {len(found)} run(s)?", False)
    for t in found:
        err(f"Stopping {t.run.id} (pid {t.pid}{' on ' + t.host if t.host else ''})")
    left = stopping.stop(found, timeout)
    if left:
        raise GuildlikeError("could not stop run(s) " + ", ".join(r.id for r in left))
