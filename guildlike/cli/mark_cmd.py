"""``guildlike mark`` and ``guildlike comment``: mark runs, and comment on them."""

from __future__ import annotations

from typing import Any

import click

from ..context import Context
from ..errors import UsageError
from ..store import notes
from ..store.filters import RunFilter
from ..store.run import Run
from ..util.text import escape_text
from . import rows
from .common import (
    Command,
    build_filter,
    confirm_runs,
    filter_options,
    make_context,
    select_runs,
)
from .ui import err, out


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-c", "--clear", is_flag=True, help="Unmark the runs (without RUN, every marked run).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def mark(runs_arg: tuple[str, ...], clear: bool, yes: bool, **kw: Any) -> None:
    """Mark runs, or unmark them.

    A marked run is shown as `OP [marked]` in run lists, and is the run
    that `run --proto OP` uses for OP. RUN is an index in the filtered list
    (1 is the newest), an id, the start of one, or a slice START:STOP.
    Without RUN, `mark` marks the latest run the filters select and
    `mark --clear` unmarks every marked run. `-Fm` and `-Fn` select marked
    and unmarked runs in every run command.

    Examples:

    \b
      guildlike mark 1 -y
      guildlike mark -Fo train -Sc -y
      guildlike mark --clear RUN -y
      guildlike runs -Fm
    """
    ctx = make_context()
    flt = build_filter(kw)
    if clear:
        if not runs_arg:
            flt.marked = True
        selected = select_runs(ctx, runs_arg, flt, "mark")
        if not selected:
            err("No runs to unmark.")
            return
        confirm_runs(ctx, "You are about to unmark the following runs:", selected, yes)
        err(f"Unmarked {notes.unmark_runs(selected)} run(s)")
        return
    selected = select_runs(ctx, runs_arg, flt, "mark", all_if_empty=False)
    if not selected:
        err("Nothing to mark.")
        return
    confirm_runs(ctx, "You are about to mark the following runs:", selected, yes)
    err(f"Marked {notes.mark_runs(selected)} run(s)")


def _check_comment_usage(add: str | None, list_: bool, delete: int | None, clear: bool) -> None:
    given = [add is not None, list_, delete is not None, clear]
    if sum(given) != 1:
        raise UsageError("specify one of --add, --list, --delete or --clear")


def comment_lines(ctx: Context, runs: list[Run]) -> list[str]:
    """What ``comment --list`` prints: each run's row, then its comments."""
    lines: list[str] = []
    for run in runs:
        op, started, st, label = rows.cells(run, ctx.cwd)
        lines += rows.table([[run.short_id, op, started, st, label]])
        if not run.comments:
            lines.append("  <no comments>")
        for i, c in enumerate(run.comments, 1):
            who, when = notes.comment_head(c)
            lines += [escape_text(f"[{i}] {who} {when}"), ""]
            lines += [f"  {escape_text(line)}" for line in str(c.get("body", "")).splitlines()]
            lines.append("")
    return lines


def _selected(ctx: Context, runs_arg: tuple[str, ...], flt: RunFilter) -> list[Run]:
    return select_runs(ctx, runs_arg, flt, "comment", all_if_empty=False)


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-a", "--add", metavar="TEXT", help="Add a comment.")
@click.option("-l", "--list", "list_", is_flag=True, help="List the comments.")
@click.option("-d", "--delete", type=click.IntRange(min=1), metavar="N", help="Delete comment N (1 is the first).")
@click.option("-c", "--clear", is_flag=True, help="Delete all comments.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def comment(runs_arg: tuple[str, ...], add: str | None, list_: bool, delete: int | None, clear: bool, yes: bool,
            **kw: Any) -> None:
    """Add, list or delete comments of runs.

    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP; without RUN, the latest run the
    filters select. Comments are stored with the user ($USER) and host
    that wrote them and are shown by `runs info -c`; `-Fc TEXT` selects
    runs by their comments in every run command.

    Examples:

    \b
      guildlike comment -a 'lr too high' 1 -y
      guildlike comment -l
      guildlike comment -d 2 RUN -y
      guildlike comment -c RUN -y
      guildlike runs -Fc 'too high'
    """
    _check_comment_usage(add, list_, delete, clear)
    ctx = make_context()
    selected = _selected(ctx, runs_arg, build_filter(kw))
    if list_:
        if selected:
            out("\n".join(comment_lines(ctx, selected)))
        return
    if not selected:
        err("Nothing to comment.")
        return
    if add is not None:
        new = notes.new_comment(add, ctx.env)
        confirm_runs(ctx, "You are about to add a comment to the following runs:", selected, yes)
        err(f"Added comment to {notes.add_comment(selected, new)} run(s)")
    elif delete is not None:
        notes.check_comment(selected, delete)
        confirm_runs(ctx, f"You are about to delete comment {delete} from the following runs:", selected, yes)
        err(f"Deleted comment for {notes.delete_comment(selected, delete)} run(s)")
    else:
        confirm_runs(ctx, "WARNING: You are about to delete ALL comments from the following runs:", selected, yes,
                     default=False)
        err(f"Deleted all comments for {notes.clear_comments(selected)} run(s)")
