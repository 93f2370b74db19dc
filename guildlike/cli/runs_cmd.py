"""``guildlike runs``: list, info, delete, restore, purge (``list`` is the default)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from ..errors import RunStoreError
from ..store import attrs as attrs_mod
from ..store import notes, scalar_index, scan, store
from ..store.run import Run
from ..store.status import read_lock
from ..util import yamlutil
from ..util.text import escape_text
from ..util.timeutil import format_us
from ..util.yamlutil import encode_value
from . import rows
from .common import (
    Command,
    build_filter,
    confirm,
    expand_status_args,
    filter_options,
    make_context,
    run_rows,
    select_one,
    select_runs,
)
from .log_cmd import log
from .stop_cmd import stop
from .ui import err, out

DEFAULT_LIMIT = 20


class DefaultGroup(click.Group):
    """A group whose options (``-Sc``, ``-n 5``) or no arguments go to ``list``;
    a first word that is not a subcommand is an unknown command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
            args = ["list"] + list(args)
        return super().parse_args(ctx, expand_status_args(args))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            raise click.UsageError(f"No such command '{args[0]}'.", ctx)  # Guild's words, no suggestion
        return super().resolve_command(ctx, args)


@click.group(cls=DefaultGroup)
def runs() -> None:
    """Show or manage runs.

    Without a subcommand, `guildlike runs` is `guildlike runs list` and
    takes its options and filters (see `guildlike runs list --help`).

    Examples:

    \b
      guildlike runs
      guildlike runs -s -Fo train -Sc
      guildlike runs info 1
      guildlike runs delete RUN -y
      guildlike runs log RUN
      guildlike runs stop -y
    """


@runs.command("list", cls=Command)
@click.option("-a", "--all", "show_all", is_flag=True, help="Show all runs.")
@click.option("-n", "--limit", type=click.IntRange(min=1), help="Show at most N runs.")
@click.option("-m", "--more", count=True, help="Show 20 more runs (may be repeated).")
@click.option("-s", "--simplified", is_flag=True, help="Show index, operation, status and label only.")
@click.option("-d", "--deleted", is_flag=True, help="Show deleted runs.")
@click.option("-A", "--archive", metavar="ARCHIVE", help="Show the runs of an exported folder or .zip file.")
@filter_options
def list_runs(
    show_all: bool, limit: int | None, more: int, simplified: bool, deleted: bool, archive: str | None, **kw: Any
) -> None:
    """List runs, newest first.

    Each row starts with [INDEX:ID]: INDEX (1 is the newest) or the start
    of ID selects the run in the other commands. Without --all, the 20
    newest runs are shown.

    Filters combine with AND; several status options (-Sc -Se, or -Sce)
    select runs having any of those statuses.

    RANGE for -Fs/--started is one of:

    \b
      after DT                   started at or after DT
      before DT                  started before DT
      between DT and DT          started in that interval
      last N minutes|hours|days  also min, hr; N is 1 if left out
      today, yesterday
      this week|month|year       weeks start on Monday
      N days|weeks ago           that day or week

    DT is a date YYYY-MM-DD, YY-MM-DD or MM-DD (this year), optionally
    followed by HH:MM[:SS], or HH:MM[:SS] alone (today).

    Examples:

    \b
      guildlike runs list -a
      guildlike runs list -s -Fo train -Sc
      guildlike runs list -Sce --started 'last 2 hours'
      guildlike runs list -Fl baseline -Ft best
      guildlike runs list --deleted
      guildlike runs list --archive failed.zip
    """
    ctx = make_context()
    flt = build_filter(kw)
    if archive is not None:
        from ..ops import transfer  # lazy: zip and copy modules, for archives only

        with transfer.archive_runs(ctx, Path(archive).absolute()) as base:
            _print_runs(ctx, scan.scan_folder(base, flt), show_all, limit, more, simplified)
        return
    _print_runs(ctx, store.list_runs(ctx, flt, deleted=deleted), show_all, limit, more, simplified)


def _print_runs(ctx: Any, runs_: Any, show_all: bool, limit: int | None, more: int, simplified: bool) -> None:
    total = len(runs_)
    if not show_all:
        if limit is not None:
            runs_ = runs_[:limit]
        else:
            n = DEFAULT_LIMIT * (1 + more)
            if total > n:
                err(f"Showing the first {n} runs ({total} total) - use --all to show all or -m to show more")
            runs_ = runs_[:n]
    lines = rows.simple_rows(runs_, ctx.cwd) if simplified else rows.full_rows(runs_, ctx.cwd)
    if lines:
        out("\n".join(lines))


def _read_fresh(ctx: Any, listed: Any) -> tuple[Any, list[str]]:
    """The run read again from its folder (a listing may hold an older copy), and
    why it is damaged: an attribute that cannot be read counts as absent."""
    run = Run(listed.id, listed.path)
    from ..store import doctor  # lazy: start-up speed of the listing; only info reads it

    problems = doctor.run_problems(ctx, run.path)
    for name in attrs_mod.names(run.path):
        try:
            run.get(name)
        except (RunStoreError, OSError):
            run._cache[name] = None
    problems += [run.bad_attrs[name] for name in sorted(run.bad_attrs)]
    return run, problems


def _info_fields(ctx: Any, run: Any) -> list[tuple[str, Any]]:
    ref = run.opref
    gf = ""
    if ref is not None:
        gf = ref.pkg_path if ref.pkg_type == "guildfile" else ref.project_dir
    pid = ""
    if run.status == "running":
        lock = read_lock(run.path)
        pid = str(lock[0]) if lock else ""
    cmd = run.get("cmd") or []
    attempts = run.get("attempts") or []
    fields: list[tuple[str, Any]] = [
        ("id", run.id),
        ("operation", ref.op_name if ref else ""),
        ("from", gf),
        ("status", run.status),
        ("started", format_us(run.get("started"))),
        ("stopped", format_us(run.get("stopped"))),
        ("marked", "yes" if run.marked else "no"),
        ("label", run.label),
        ("sourcecode_digest", run.get("sourcecode_digest") or ""),
        ("vcs_commit", (run.get("vcs_commit") or "")),
        ("run_dir", str(run.path)),
        ("command", " ".join(str(c) for c in cmd) if isinstance(cmd, list) else str(cmd)),
        ("exit_status", "" if run.get("exit_status") is None else run.get("exit_status")),
        ("pid", pid),
        ("attempts", len(attempts) if attempts else (1 if run.get("started") else 0)),
        ("tags", run.tags),
        ("flags", run.flags),
        ("scalars", _scalars(ctx, run.id)),
    ]
    return fields


def _scalars(ctx: Any, run_id: str) -> dict[str, Any]:
    found = scalar_index.run_summaries(ctx, run_id)
    return {k: found[k] for k in sorted(found, key=scalar_index.display_order)}


def _json_num(v: float) -> Any:
    """JSON has no NaN or infinity: NaN is null, infinities are the strings ``inf``/``-inf``."""
    if v != v:
        return None
    if v in (math.inf, -math.inf):
        return "inf" if v > 0 else "-inf"
    return v


def _scalar_json(s: Any) -> dict[str, Any]:
    d = {"value": _json_num(s.last), "step": s.step}
    d.update({k: _json_num(v) if isinstance(v, float) else v for k, v in s.as_dict().items() if k != "step"})
    return d


def _scalar_lines(summaries: dict[str, Any], all_scalars: bool) -> list[str]:
    lines = ["scalars:"]
    for k, s in summaries.items():
        if not all_scalars:
            lines.append(f"  {k}: {s.last:f} (step {s.step})")
            continue
        lines += [f"  {k}:", f"    last: {s.last:f} (step {s.step})"]
        lines += [f"    {name}: {getattr(s, name):f}" for name in ("first", "min", "max", "avg")]
        lines.append(f"    count: {s.count}")
    return lines


def _comment_lines(comments: list[dict[str, Any]]) -> list[str]:
    out_: list[str] = []
    for i, c in enumerate(comments, 1):
        who, when = notes.comment_head(c)
        out_.append(f"  [{i}] {who} {when}")
        out_ += [f"    {line}" for line in str(c.get("body", "")).splitlines()]
    return out_


def _fmt_flag(val: Any) -> str:
    return encode_value(val)


@runs.command("info", cls=Command)
@click.argument("run", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON (scalars with their summaries).")
@click.option(
    "-A", "--all-scalars", is_flag=True, help="Show each scalar's first, last, min, max, avg and count."
)
@click.option("-d", "--deps", "show_deps", is_flag=True, help="Show what the run's requires resolved to.")
@click.option("-c", "--comments", "show_comments", is_flag=True, help="Show the run's comments.")
@filter_options
def info(run: str | None, as_json: bool, all_scalars: bool, show_deps: bool, show_comments: bool, **kw: Any) -> None:
    """Show details of a run (the latest by default).

    RUN is an index in the filtered list (1 is the newest), an id or the
    start of one. Shows the run's status, times, command, flags, tags and
    last scalar values with their steps (of a live run too, as they come).
    A pipeline's scalars include its steps' as STEP/.guild#NAME.

    Examples:

    \b
      guildlike runs info
      guildlike runs info 2
      guildlike runs info -c
      guildlike runs info -Fo train -Sc --json
      guildlike runs info -d
      guildlike runs info 1 --all-scalars
    """
    ctx = make_context()
    r, damaged = _read_fresh(ctx, select_one(ctx, run, build_filter(kw), "runs info"))
    fields = _info_fields(ctx, r)
    if show_comments:
        fields.append(("comments", r.comments))
    if show_deps:
        fields.append(("dependencies", r.get("deps") or {}))
    if damaged:
        at = [name for name, _ in fields].index("status") + 1
        fields.insert(at, ("damaged", "; ".join(damaged)))
    if as_json:
        data = {k: v for k, v in fields}
        data["scalars"] = {k: _scalar_json(v) for k, v in data["scalars"].items()}
        out(json.dumps(data, indent=2, sort_keys=False, default=str))
        return
    lines = []
    for name, val in fields:
        if name == "tags":
            lines.append("tags:")
            lines += [f"  - {t}" for t in val]
        elif name == "flags":
            lines.append("flags:")
            lines += [f"  {k}: {_fmt_flag(val[k])}" for k in sorted(val)]
        elif name == "scalars":
            lines += _scalar_lines(val, all_scalars)
        elif name == "dependencies":
            lines.append("dependencies:")
            lines += ["  " + line for line in (yamlutil.dump(val).splitlines() if val else [])]
        elif name == "comments":
            lines.append("comments:")
            lines += _comment_lines(val)
        else:
            lines.append(f"{name}: {val}")
    out("\n".join(escape_text(line) for line in lines))


def _change_runs(
    verb: str, deleted: bool, default_yes: bool, runs_arg: tuple[str, ...], yes: bool, kw: dict[str, Any]
) -> None:
    ctx = make_context()
    flt = build_filter(kw)
    help_cmd = f"runs {verb}"
    selected = select_runs(ctx, runs_arg, flt, help_cmd, deleted=deleted)
    if not selected:
        out({"delete": "Nothing to delete.", "restore": "Nothing to restore.", "purge": "Nothing to purge."}[verb])
        return
    n = len(selected)
    if not yes:
        if verb == "delete":
            rows = run_rows(ctx, selected)
            confirm(["You are about to delete the following runs:"] + rows, f"Delete {n} run(s)?", True)
        elif verb == "restore":
            rows = run_rows(ctx, selected)
            confirm(["You are about to restore the following runs:"] + rows, f"Restore {n} run(s)?", True)
        else:
            confirm(
                ["WARNING: You are about to permanently delete the following runs:"] + run_rows(ctx, selected),
                f"Permanently delete {n} run(s)?",
                False,
            )
    if verb == "delete":
        store.delete_runs(ctx, selected)
        err(f"Deleted {n} run(s)")
    elif verb == "restore":
        store.restore_runs(ctx, selected)
        err(f"Restored {n} run(s)")
    else:
        store.purge_runs(ctx, selected)
        err(f"Permanently deleted {n} run(s)")


def _change_command(verb: str, deleted: bool, default_yes: bool, doc: str) -> click.Command:
    @click.argument("runs_arg", metavar="[RUN...]", nargs=-1)
    @click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
    @filter_options
    def cmd(runs_arg: tuple[str, ...], yes: bool, **kw: Any) -> None:
        _change_runs(verb, deleted, default_yes, runs_arg, yes, kw)

    cmd.__doc__ = doc
    return click.command(verb, cls=Command)(cmd)


_DELETE_DOC = """Delete runs (move them to the trash).

    RUN is an index in the filtered list (1 is the newest), an id, the
    start of one, or a slice START:STOP of indexes. Without RUN, all the
    runs the filters select are deleted. Running runs cannot be deleted.
    `guildlike runs list --deleted` lists the trash. `runs rm` is the
    same command.

    Examples:

    \b
      guildlike runs delete 1 -y
      guildlike runs delete -Fo train -Se -y
      guildlike runs delete 2:5
    """
_RESTORE_DOC = """Restore deleted runs.

    RUN is an index in the list of deleted runs (`guildlike runs list
    --deleted`), an id or the start of one. Without RUN, all the deleted
    runs the filters select are restored.

    Examples:

    \b
      guildlike runs restore 1 -y
      guildlike runs restore -Fo train -y
    """
_PURGE_DOC = """Permanently delete deleted runs.

    RUN is an index in the list of deleted runs (`guildlike runs list
    --deleted`), an id or the start of one. Without RUN, all the deleted
    runs the filters select are purged. This cannot be undone; the
    question's default answer is no.

    Examples:

    \b
      guildlike runs purge 1 -y
      guildlike runs purge -Fo train
    """
runs.add_command(_change_command("delete", False, True, _DELETE_DOC))
# Guild's other name for `runs delete`; hidden from the listing and the reference.
runs.add_command(_change_command("delete", False, True, _DELETE_DOC), "rm")
runs.commands["rm"].hidden = True
runs.add_command(_change_command("restore", True, True, _RESTORE_DOC))
runs.add_command(_change_command("purge", True, False, _PURGE_DOC))


runs.add_command(log)
runs.add_command(stop)
