"""``guildlike tensorboard``: TensorBoard over selected runs."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..ops import tensorboard as tb
from .common import Command, build_filter, filter_options, make_context, select_runs


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address TensorBoard listens on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=6006, show_default=True, help="Port TensorBoard listens on."
)
@filter_options
def tensorboard(runs_arg: tuple[str, ...], host: str, port: int, **kw: Any) -> None:
    """Start TensorBoard over runs.

    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP of indexes; without RUN, every run
    the filters select. Needs pip install 'guildlike[tensorboard]'.
    Each run shows in TensorBoard as SHORT_ID OPERATION
    LABEL, with the scalars it printed and the event files its script
    wrote. Stop it with Ctrl-C.

    Examples:

    \b
      guildlike tensorboard
      guildlike tensorboard 1 2 --port 6007
      guildlike tensorboard -Fo train -Sc --host 0.0.0.0
    """
    ctx = make_context()
    selected = select_runs(ctx, runs_arg, build_filter(kw), "tensorboard")
    code = tb.serve(ctx, selected, host, port)
    if code:
        sys.exit(code)
