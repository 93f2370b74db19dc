"""``guildlike label`` and ``guildlike tag``: change labels and tags of runs."""

from __future__ import annotations

from typing import Any

import click

from ..store.edits import LabelEdit, TagEdit, label_runs, tag_runs
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
@click.option("-s", "--set", "set_", metavar="VAL", help="Set the label.")
@click.option("-a", "--append", metavar="VAL", help="Append to the label.")
@click.option("-p", "--prepend", metavar="VAL", help="Prepend to the label.")
@click.option("-rm", "--remove", metavar="VAL", multiple=True, help="Remove text from the label.")
@click.option("-c", "--clear", is_flag=True, help="Clear the label.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def label(runs_arg: tuple[str, ...], set_: str | None, append: str | None, prepend: str | None,
          remove: tuple[str, ...], clear: bool, yes: bool, **kw: Any) -> None:
    """Set or change the labels of runs.

    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP; without RUN, every run the
    filters select. Give exactly one of --set, --append, --prepend,
    --remove or --clear.

    Examples:

    \b
      guildlike label --set baseline 1 -y
      guildlike label --append v2 -Fo train -Sc
      guildlike label --remove baseline 1:3 -y
      guildlike label --clear RUN -y
    """
    edit = LabelEdit(set_, append, prepend, remove, clear)
    edit.check()
    ctx = make_context()
    selected = select_runs(ctx, runs_arg, build_filter(kw), "label")
    if not selected:
        out("Nothing to label.")
        return
    if set_ is not None:
        head = f"You are about to label the following runs with '{set_}':"
    elif clear:
        head = "You are about to clear the labels of the following runs:"
    else:
        head = "You are about to modify the labels of the following runs:"
    confirm_runs(ctx, head, selected, yes)
    n = label_runs(selected, edit)
    err(f"Labeled {n} run(s)" if not clear else f"Cleared label for {n} run(s)")


@click.command(cls=Command)
@click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
@click.option("-a", "--add", multiple=True, metavar="TAG", help="Add a tag.")
@click.option("-d", "--delete", "--remove", "delete", multiple=True, metavar="TAG", help="Remove a tag.")
@click.option("-c", "--clear", is_flag=True, help="Remove all tags.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@filter_options
def tag(
    runs_arg: tuple[str, ...], add: tuple[str, ...], delete: tuple[str, ...], clear: bool, yes: bool, **kw: Any
) -> None:
    """Add or remove tags of runs.

    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP; without RUN, every run the
    filters select. Labels are not changed.

    Examples:

    \b
      guildlike tag --add best 1 -y
      guildlike tag --delete best RUN -y
      guildlike tag --add sweep -Fo train -Sc
      guildlike tag --clear 1 -y
    """
    edit = TagEdit(add, delete, clear)
    edit.check()
    ctx = make_context()
    selected = select_runs(ctx, runs_arg, build_filter(kw), "tag")
    if not selected:
        out("Nothing to tag.")
        return
    confirm_runs(ctx, "You are about to modify tags for the following runs:", selected, yes)
    err(f"Modified tags for {tag_runs(selected, edit)} run(s)")
