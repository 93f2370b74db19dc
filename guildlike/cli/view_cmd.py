"""``guildlike view``: a local web page over the runs, or one HTML file of some runs."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from typing import Any

import click

from ..errors import UsageError
from ..view import export as export_mod
from ..view import server as server_mod
from .common import Command, build_filter, filter_options, make_context, select_runs
from .ui import out


def _open_browser(url: str) -> None:
    """Open the page in a desktop browser; never a text browser taking over the terminal."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but the local host warns, as every run becomes readable.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on (default: a free one).")
@click.option("--no-open", is_flag=True, help="Do not open the page in a browser.")
@click.option("--export", "export_file", metavar="FILE",
              help="Write one self-contained HTML file of the runs (RUN..., or the filtered runs) and exit.")
@filter_options
def view(runs_arg: tuple[str, ...], host: str, port: int, no_open: bool, export_file: str | None, **kw: Any) -> None:
    """Look at runs, pipelines and plots in a web browser.

    Serves a read-only page at http://127.0.0.1:PORT/ and prints its
    address; stop it with Ctrl-C. The page lists the runs (with the
    filters of 'runs'), shows a run (flags, scalars plotted, attributes,
    attempts, dependencies, files, its output live), a pipeline's steps
    with the restart plan, compares runs and diffs two.

    With --export FILE, writes one HTML file holding RUN... (an index,
    an id or the start of one; without RUN, the runs the filters select)
    that opens without a server, and exits.

    Examples:

    \b
      guildlike view
      guildlike view --port 8080 --no-open
      guildlike view --export report.html 1 2 3
      guildlike view --export trials.html -Fo train -Sc
    """
    ctx = make_context()
    flt = build_filter(kw)
    if export_file is None:
        if runs_arg:
            raise UsageError("RUN is used with --export FILE")
        server = server_mod.make_server(ctx, host, port)
        out(f"Serving {server.url} (Ctrl-C to stop)")
        if not no_open:
            _open_browser(server.url)
        server_mod.serve(server)
        return
    selected = select_runs(ctx, runs_arg, flt, "view")
    n = export_mod.write(ctx, export_file, selected)
    out(f"Wrote {export_file} ({n} run{'' if n == 1 else 's'})")
