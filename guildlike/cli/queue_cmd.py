"""``guildlike queue``: start staged runs as they appear."""

from __future__ import annotations

import click

from ..ops.queue import DEFAULT_POLL_S, QueueSettings, run_queue
from .common import Command, make_context


@click.command(cls=Command)
@click.option(
    "-n", "--max-parallel", type=click.IntRange(min=1), default=1, show_default=True,
    help="Runs the queue keeps running at once.",
)
@click.option(
    "--executor",
    metavar="SPEC",
    envvar="GUILDLIKE_EXECUTOR",
    help="Where op processes run: local (default) or dask://HOST:PORT (env GUILDLIKE_EXECUTOR).",
)
@click.option(
    "--poll-interval", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_POLL_S, show_default=True,
    metavar="SECONDS", help="Seconds between looks for new staged runs.",
)
@click.option("--run-once", is_flag=True, help="Start the staged runs, wait for them to end, and exit.")
@click.option(
    "--wait-for-running", is_flag=True, help="Start nothing while runs that this queue did not start are running."
)
@click.option(
    "--gpus", metavar="DEVICES",
    help="CUDA_VISIBLE_DEVICES for the runs it starts (e.g. 0,1); runs staged with other --gpus are left.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
def queue(max_parallel: int, executor: str | None, poll_interval: float, run_once: bool, wait_for_running: bool,
          gpus: str | None, quiet: bool) -> None:
    """Start staged runs as they appear.

    The queue starts staged runs (`guildlike run OP --stage`, a batch's
    `--stage-trials`) oldest first, up to `-n` at a time, until it is
    stopped (Ctrl-C, SIGTERM) or, with `--run-once`, until none is staged
    and the runs it started have ended.

    A run is never started twice, even by two queues at once or by a
    queue and a batch. Stopping the queue does not stop the runs it
    started (`guildlike stop` does); a queue started again counts them as
    running and starts what is still staged. A staged run that cannot
    start (a dependency that cannot be resolved) ends `error` once.

    `--gpus` gives the runs it starts those devices, and leaves the runs
    staged with other `--gpus` to other queues: one queue per GPU runs
    one run per GPU.

    Examples:

    \b
      guildlike queue
      guildlike queue -n 4
      guildlike queue --run-once --poll-interval 1
      guildlike queue -n 16 --executor dask://HOST:8786
      guildlike queue --gpus 0 --wait-for-running
    """
    settings = QueueSettings(max_parallel, executor, poll_interval, run_once, wait_for_running, gpus)
    run_queue(make_context(quiet=quiet), settings)
