"""``guildlike compare``: runs side by side, with their flags and scalars."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..ops import compare as comparemod
from ..util.files import atomic_write
from ..util.gcpause import collector_paused
from . import compare_fmt
from .common import Command, build_filter, filter_options, make_context
from .ui import out


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-c", "--columns", multiple=True, metavar="SPECS", help="Add columns (comma-separated specs).")
@click.option("-cc", "--strict-columns", multiple=True, metavar="SPECS", help="Show only these columns after run.")
@click.option("-a", "--all-scalars", is_flag=True, help="Show all flags and scalars, also of operations with compare:.")
@click.option("--min", "min_col", metavar="COL", help="Sort by COL, least first.")
@click.option("--max", "max_col", metavar="COL", help="Sort by COL, greatest first.")
@click.option("-n", "--top", type=click.IntRange(min=0), metavar="N", help="Show the first N rows.")
@click.option("-u", "--skip-unchanged", is_flag=True, help="Leave out columns whose values are the same in all rows.")
@click.option("--include-batch", is_flag=True, help="Include batch runs.")
@click.option("-t", "--table", "as_table", is_flag=True, help="Print a table (the default).")
@click.option("--csv", "csv_path", is_flag=False, flag_value="-", metavar="PATH",
              help="Write CSV to PATH ('-' or nothing: standard output).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of rows.")
@click.option("--md", "as_md", is_flag=True, help="Print a Markdown table.")
@filter_options
def compare(runs_arg: tuple[str, ...], columns: tuple[str, ...], strict_columns: tuple[str, ...],
            all_scalars: bool, min_col: str | None, max_col: str | None, top: int | None,
            skip_unchanged: bool, include_batch: bool, as_table: bool, csv_path: str | None,
            as_json: bool, as_md: bool, **kw: Any) -> None:
    """Compare runs: their flags and scalars, one row per run.

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one, or a slice START:STOP; without RUN, every run the filters
    select, newest first (batch runs only with --include-batch). A batch
    run given as RUN is replaced by its trials, best first by the batch's
    objective.

    Columns: run, operation, started, time, status, label, then each run's
    flags, step and scalars (last values), or the columns of its
    operation's compare: in guild.yml. SPECS are comma-separated:

    \b
      =FLAG                a flag
      .ATTR                an attribute (.started, .label, .sourcecode...)
      [QUAL] KEY           a scalar: QUAL is last (default), first, min,
                           max, avg, total or count
      KEY step             the step of its last value
      STEP#KEY             a scalar of a pipeline's step STEP
      SPEC as NAME         with header NAME

    --min/--max sort by a column header: numbers first, then NaN, then
    text, then missing values.

    Examples:

    \b
      guildlike compare
      guildlike compare -Fo train -Sc --min loss -n 5
      guildlike compare -cc '=lr,min loss as best,loss step'
      guildlike compare BATCH_RUN
      guildlike compare -u --csv results.csv
    """
    ctx = make_context()
    opts = comparemod.Options(
        columns=list(columns), strict=list(strict_columns), min_col=min_col, max_col=max_col,
        top=top, skip_unchanged=skip_unchanged, include_batch=include_batch, all_scalars=all_scalars,
    )
    table = comparemod.compare(ctx, runs_arg, build_filter(kw), opts)
    headers, rows = table.headers, table.rows
    with collector_paused():  # as the table was built: many objects, none cyclic
        if csv_path is not None:
            text = compare_fmt.csv_text(headers, rows) if rows else ""
        elif as_json:
            text = compare_fmt.json_text(headers, rows)
        else:
            text = "\n".join(compare_fmt.md_lines(headers, rows) if as_md else compare_fmt.table_lines(headers, rows))
    if csv_path is None:
        if text:
            out(text)
    elif csv_path == "-":
        sys.stdout.write(text)
    else:
        atomic_write(csv_path, text)
