"""``guildlike export`` and ``guildlike import``: move runs between homes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..ops import transfer
from ..store import scan, select
from ..store.doctor import run_problems
from ..store.filters import RunFilter
from .common import (
    Command,
    build_filter,
    confirm,
    confirm_runs,
    filter_options,
    make_context,
    run_rows,
    select_runs,
)
from .ui import err


@click.command("export", cls=Command)
@click.argument("location")
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def export(location: str, runs_arg: tuple[str, ...], yes: bool, **kw: Any) -> None:
    """Export runs to a folder or a .zip file, as Guild does.

    LOCATION ending in .zip is written as a zip file (added to when it
    exists), otherwise as a folder holding one folder per run; runs already
    there are skipped. RUN is an index in the filtered list (1 is the
    newest), an id, the start of one, or a slice START:STOP; without RUN,
    every run the filters select. The runs they link to (a pipeline's
    steps, a batch's trials, required runs) are added, each with a line
    saying why.

    Examples:

    \b
      guildlike export failed.zip RUN -y
      guildlike export archive -Fo train -Sc -y
    """
    ctx = make_context()
    selected = select_runs(ctx, runs_arg, build_filter(kw), "export")
    if not selected:
        err("No runs to export.")
        return
    plan = transfer.home_closure(ctx, selected)
    if not yes:
        rows_ = run_rows(ctx, [run for run, _why in plan])
        confirm([f"You are about to copy the following runs to '{location}':"] + rows_, "Continue?", True)
    for line in transfer.added_notes(plan):
        err(line)
    exported = transfer.export_runs(ctx, Path(location).absolute(), plan, err, location.rstrip("/"))
    for run in exported:
        for problem in run_problems(ctx, run.path):
            err(f"WARNING: run {run.id} is damaged and was exported as it is: {problem}")
    err(f"Exported {len(exported)} run(s) to {location}")


@click.command("import", cls=Command)
@click.argument("archive")
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-m", "--move", is_flag=True, help="Move the runs out of the archive (folders only).")
@click.option("--replace", is_flag=True, help="Overwrite runs that already exist in this home.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def import_(archive: str, runs_arg: tuple[str, ...], move: bool, replace: bool, yes: bool, **kw: Any) -> None:
    """Import runs from an exported folder or .zip file.

    ARCHIVE is a folder or a .zip file. RUN is an index in the filtered
    list of the archive's runs (`guildlike runs list --archive ARCHIVE`),
    an id or the start of one; without RUN, every run the filters select.
    The archive's runs they link to are added. Runs that already exist in
    this home are skipped unless --replace.

    Examples:

    \b
      guildlike import failed.zip -y
      guildlike import archive 1 -m -y
      guildlike import archive -Fo train --replace -y
    """
    ctx = make_context()
    src = Path(archive).absolute()
    flt = build_filter(kw)
    with transfer.archive_runs(ctx, src, move) as base:
        listed = scan.scan_folder(base, flt)
        selected = select.select_many(listed, list(runs_arg), "import") if runs_arg else listed
        if not selected:
            err("No runs to import.")
            return
        known = {run.id: run for run in scan.scan_folder(base, RunFilter())}
        plan = transfer.closure(selected, known.get)
        head = f"You are about to import ({'move' if move else 'copy'}) the following runs from '{archive}':"
        confirm_runs(ctx, head, [run for run, _why in plan], yes)
    for line in transfer.added_notes(plan):
        err(line)
    ids = {run.id for run, _why in plan}
    done, _skipped = transfer.import_runs(ctx, src, replace, ids, move, err)
    err(f"Imported {len(done)} run(s) from {archive}")
