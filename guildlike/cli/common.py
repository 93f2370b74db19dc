"""Shared CLI pieces: run filter options, the context, confirmations."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import click

from ..context import Context
from ..errors import Aborted, RunNotFound
from ..store import select, store, timerange
from ..store.filters import RunFilter
from ..store.run import Run
from . import rows
from .completion import add_completers
from .ui import QuietUI, TerminalUI

STATUS_OPTS = {
    "r": "running",
    "c": "completed",
    "e": "error",
    "t": "terminated",
    "p": "pending",
    "s": "staged",
}
_COMBINED = re.compile(r"^-S([rcetps]{2,})$")


def expand_status_args(args: list[str]) -> list[str]:
    """``-Sce`` -> ``-Sc -Se``."""
    out: list[str] = []
    for a in args:
        m = _COMBINED.match(a)
        if m:
            out.extend(f"-S{ch}" for ch in m.group(1))
        else:
            out.append(a)
    return out


class Command(click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_completers(self)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, expand_status_args(args))


def make_context(quiet: bool = False) -> Context:
    return Context.from_env(ui=QuietUI() if quiet else TerminalUI())


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("-Fo", "--operation", "ops", multiple=True, metavar="VAL", help="Filter by operation."),
        click.option("-Fl", "--label", "labels", multiple=True, metavar="VAL", help="Filter by label text."),
        click.option("-Fu", "--unlabeled", is_flag=True, help="Only runs without a label."),
        click.option("-Ft", "--tag", "tags", multiple=True, metavar="TAG", help="Filter by tag."),
        click.option("-Fm", "--marked", is_flag=True, help="Only marked runs."),
        click.option("-Fn", "--unmarked", is_flag=True, help="Only runs that are not marked."),
        click.option("-Fc", "--comment", "comments", multiple=True, metavar="TEXT", help="Filter by comment text."),
        click.option("-Fs", "--started", metavar="RANGE", help="Filter by start time (e.g. 'after 2026-11-21 10:00')."),
    ]
    for ch, name in STATUS_OPTS.items():
        opts.append(click.option(f"-S{ch}", f"--{name}", f"st_{name}", is_flag=True, help=f"Only {name} runs."))
        opts.append(click.option(f"--not-{name}", f"not_{name}", is_flag=True, help=f"Exclude {name} runs."))
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def build_filter(kw: dict[str, Any]) -> RunFilter:
    flt = RunFilter(
        ops=list(kw.pop("ops", ()) or ()),
        labels=list(kw.pop("labels", ()) or ()),
        unlabeled=bool(kw.pop("unlabeled", False)),
        tags=list(kw.pop("tags", ()) or ()),
        marked=bool(kw.pop("marked", False)),
        unmarked=bool(kw.pop("unmarked", False)),
        comments=list(kw.pop("comments", ()) or ()),
    )
    started = kw.pop("started", None)
    if started:
        flt.started = timerange.parse(started)
    for name in STATUS_OPTS.values():
        if kw.pop(f"st_{name}", False):
            flt.statuses.add(name)
        if kw.pop(f"not_{name}", False):
            flt.not_statuses.add(name)
    return flt


def select_runs(
    ctx: Context,
    specs: tuple[str, ...] | list[str],
    flt: RunFilter,
    help_cmd: str,
    deleted: bool = False,
    all_if_empty: bool = True,
) -> list[Run]:
    runs = store.list_runs(ctx, flt, deleted=deleted)
    if specs:
        return select.select_many(runs, list(specs), help_cmd, deleted)
    return list(runs) if all_if_empty else list(runs[:1])


def select_one(ctx: Context, spec: str | None, flt: RunFilter, help_cmd: str) -> Run:
    runs = store.list_runs(ctx, flt)
    if spec is None and not runs:
        raise RunNotFound("no matching runs")
    return select.select_one(runs, spec, help_cmd)


def confirm(prompt_lines: list[str], question: str, default: bool, declined_exit: int = 4) -> None:
    """Ask on stderr; ``Aborted`` (no message) unless the answer is yes: exit
    ``declined_exit`` for a no, 1 when standard input is at its end."""
    for line in prompt_lines:
        sys.stderr.write(line + "\n")
    suffix = "(Y/n)" if default else "(y/N)"
    sys.stderr.write(f"{question} {suffix} ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stderr.write("\n")
        raise Aborted("", exit_code=1)
    answer = answer.strip().lower()
    ok = default if answer == "" else answer in ("y", "yes")
    if not ok:
        raise Aborted("", exit_code=declined_exit)


def confirm_runs(ctx: Context, head: str, runs: list[Run], yes: bool, default: bool = True) -> None:
    """Unless ``yes``: show ``head`` and the runs' rows, and ask to continue (see ``confirm``)."""
    if not yes:
        confirm([head] + run_rows(ctx, runs), "Continue?", default)


def run_rows(ctx: Context, runs: list[Run]) -> list[str]:
    return [f"  {line}" for line in rows.short_rows(runs, ctx.cwd)]
