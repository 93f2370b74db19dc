"""``guildlike export`` and ``guildlike import``: move runs between homes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..ops import transfer
from ..store.doctor import run_problems
from .common import (
    Command,
    build_filter,
    confirm,
    filter_options,
    make_context,
    run_rows,
    select_runs,
)
from .ui import err, out


@click.command("export", cls=Command)
@click.argument("dest")
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def export(dest: str, runs_arg: tuple[str, ...], yes: bool, **kw: Any) -> None:
    """Export runs to a folder or a .zip file.

    DEST ending in .zip is written as a zip file, otherwise as a folder.
    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP; without RUN, every run the
    filters select. The runs they link to (a pipeline's steps, a batch's
    trials, required runs) are exported with them.

    Examples:

    \b
      guildlike export failed.zip RUN -y
      guildlike export archive -Fo train -Sc -y
    """
    ctx = make_context()
    selected = select_runs(ctx, runs_arg, build_filter(kw), "export")
    if not selected:
        out("Nothing to export.")
        return
    if not yes:
        confirm(["You are about to export the following runs:"] + run_rows(ctx, selected), "Continue?", True)
    exported = transfer.export_runs(ctx, Path(dest).absolute(), selected)
    for run in exported:
        for problem in run_problems(ctx, run.path):
            err(f"WARNING: run {run.id} is damaged and was exported as it is: {problem}")
    err(f"Exported {len(exported)} run(s) to {dest}")


@click.command("import", cls=Command)
@click.argument("src")
@click.option("--replace", is_flag=True, help="Overwrite runs that already exist in this home.")
def import_(src: str, replace: bool) -> None:
    """Import runs exported from another home.

    SRC is a folder or a .zip file written by `guildlike export`. Runs
    that already exist in this home are skipped unless --replace.

    Examples:

    \b
      guildlike import failed.zip
      guildlike import archive --replace
    """
    ctx = make_context()
    done, skipped = transfer.import_runs(ctx, Path(src).absolute(), replace)
    for rid in skipped:
        err(f"Run {rid} exists, skipped (use --replace to overwrite)")
    err(f"Imported {len(done)} run(s)")
