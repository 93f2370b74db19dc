"""``guildlike run``: run, stage, start or restart an operation."""

from __future__ import annotations

from typing import Any

import click

from ..errors import UsageError
from ..guildfile.opdef import OpDef
from ..ops.options import RunOptions
from ..store.runids import RULE as RUN_ID_RULE
from .common import Command, confirm, make_context
from .ui import out


def _split_args(opspec: str | None, args: tuple[str, ...], restarting: bool) -> tuple[str | None, list[str], list[str]]:
    """(opspec, flag args, batch files)."""
    items = list(args)
    if opspec is not None and (restarting or "=" in opspec or opspec.startswith("@")):
        items.insert(0, opspec)
        opspec = None
    files = [a[1:] for a in items if a.startswith("@")]
    flags = [a for a in items if not a.startswith("@")]
    return opspec, flags, files


def _help_op_lines(opdef: OpDef) -> list[str]:
    """What ``run OP --help-op`` shows: usage, description and the flags."""
    from ..util.yamlutil import encode_value

    lines = [f"Usage: guildlike run [OPTIONS] {opdef.full_name} [FLAG]...", ""]
    if opdef.description:
        lines += [opdef.description.strip(), ""]
    lines += ["Use 'guildlike run --help' for a list of options.", ""]
    if not opdef.flags:
        lines.append("Flags: none")
        return lines
    width = max(len(name) for name in opdef.flags)
    lines.append("Flags:")
    for name in sorted(opdef.flags):
        fd = opdef.flags[name]
        parts = [fd.description] if fd.description else []
        if fd.required and fd.default is None:
            parts.append("(required)")
        elif fd.default is not None:
            parts.append(f"(default is {encode_value(fd.default)})")
        lines.append(f"  {name.ljust(width)}  {' '.join(parts)}".rstrip())
        if fd.choices:
            lines.append(f"  {''.ljust(width)}  Choices: " + ", ".join(
                encode_value(c.get("value") if isinstance(c, dict) else c) for c in fd.choices))
    return lines


def _confirm_run(head: str, flags: dict[str, Any]) -> None:
    """Ask before running, showing every flag value the run will get."""
    from ..util.yamlutil import encode_value

    lines = [head]
    lines += [f"  {name}: {encode_value(flags[name]) if not isinstance(flags[name], str) else flags[name]}"
              for name in sorted(flags) if flags[name] is not None]
    confirm(lines, "Continue?", True)


def _print_plan(ctx: Any, spec: str, flag_args: list[str], opts: RunOptions) -> None:
    from ..ops import restart as restart_mod
    from ..store.rows import table
    from .ui import out

    run_, rows = restart_mod.plan_spec(ctx, spec, flag_args, opts)
    out(f"Restart plan for {run_.op_name} [{run_.short_id}]{' with --needed' if opts.needed else ''}:")
    data = [[r.step, r.action, r.run_id[:8] or "-", r.reason] for r in rows]
    for line in table(data):
        out(f"  {line}")


@click.command(cls=Command)
@click.argument("opspec", required=False)
@click.argument("flags", nargs=-1)
@click.option("-l", "--label", help="Label for the run (may use ${flag} references).")
@click.option("-t", "--tag", "tags", multiple=True, help="Tag for the run (may be repeated).")
@click.option("--run-id", help=f"Use this id for the new run: {RUN_ID_RULE}.")
@click.option("--stage", is_flag=True, help="Stage the run without starting it.")
@click.option("--start", "start", metavar="RUN", help="Start a staged run.")
@click.option("--restart", "restart", metavar="RUN", help="Restart a run in its own directory.")
@click.option("--plan", is_flag=True, help="With --restart: show what would be reused, rerun or created, and why.")
@click.option("--force-structure", is_flag=True, help="With --restart: go on even if the pipeline's steps changed.")
@click.option("--needed", is_flag=True, help="Skip when a matching run exists (or, with --restart, when flags are unchanged).")
@click.option("--force-sourcecode", is_flag=True, help="On restart, use the project's current source code.")
@click.option("--force-flags", is_flag=True, help="Accept flags the operation does not define.")
@click.option("-m", "--max-trials", type=click.IntRange(min=1), help="Number of trials of a search (default 20).")
@click.option(
    "-o",
    "--optimizer",
    help="Optimizer for a batch: random, or bayesian (alias tpe; needs pip install 'guildlike[optimize]').",
)
@click.option("--random-seed", type=int, help="Seed for a random or Bayesian search (makes it repeatable).")
@click.option("--keep-batch", is_flag=True, help="Keep the batch run when it completes.")
@click.option("--fail-on-trial-error", is_flag=True, help="Stop a batch at the first failing trial.")
@click.option("--stage-trials", is_flag=True, help="Stage the trials of a batch without running them.")
@click.option("--max-parallel", type=click.IntRange(min=1), default=1, help="Trials to run at once.")
@click.option("--print-trials", is_flag=True, help="Show the trials of a batch and run nothing.")
@click.option("--minimize", metavar="SCALAR", help="Scalar a search minimizes (default: the op's objective, else loss).")
@click.option("--maximize", metavar="SCALAR", help="Scalar a search maximizes.")
@click.option("--help-op", is_flag=True, help="Show the operation's description and flags, and exit.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def run(opspec: str | None, flags: tuple[str, ...], **kw: Any) -> None:
    """Run an operation: `guildlike run OP [FLAG=VALUE...]`.

    A list value (`lr=[0.01,0.1]`) runs a grid of trials; a range
    (`x=[-2.0:2.0]`) a random search, or with `-o bayesian` a model-based
    one. `@FILE` reads trials from a CSV, JSON or YAML file. `--restart
    BATCH --needed` reruns only the trials that did not complete.
    """
    from ..ops import restart as restart_mod
    from ..ops import run as run_mod

    ctx = make_context()
    restarting = bool(kw["restart"] or kw["start"])
    opspec, flag_args, files = _split_args(opspec, flags, restarting)
    if kw["restart"] and kw["start"]:
        raise UsageError("--restart and --start cannot be used together")
    for opt in ("restart", "start"):
        if kw[opt] is not None and kw[opt].startswith("-"):
            raise UsageError(f"--{opt} needs a RUN, got '{kw[opt]}'")
    if kw["stage"] and (kw["restart"] or kw["start"]):
        raise UsageError("--stage cannot be used with --restart or --start")
    if kw["minimize"] and kw["maximize"]:
        raise UsageError("--minimize and --maximize cannot be used together")
    if kw["run_id"] is not None:
        from ..store import runids

        if not runids.is_valid(kw["run_id"]):
            raise UsageError(f"invalid --run-id {kw['run_id']!r}: use {RUN_ID_RULE}")
    opts = RunOptions(
        label=kw["label"],
        tags=list(kw["tags"]),
        run_id=kw["run_id"],
        stage=kw["stage"],
        needed=kw["needed"],
        force_sourcecode=kw["force_sourcecode"],
        force_flags=kw["force_flags"],
        force_structure=kw["force_structure"],
        max_trials=kw["max_trials"],
        random_seed=kw["random_seed"],
        optimizer=kw["optimizer"],
        keep_batch=kw["keep_batch"],
        fail_on_trial_error=kw["fail_on_trial_error"],
        stage_trials=kw["stage_trials"],
        max_parallel=kw["max_parallel"],
        print_trials=kw["print_trials"],
        minimize=kw["minimize"],
        maximize=kw["maximize"],
        batch_files=files,
    )
    if kw["plan"]:
        if not kw["restart"]:
            raise UsageError("--plan is used with --restart RUN")
        _print_plan(ctx, kw["restart"], flag_args, opts)
        return
    if kw["restart"]:
        # Find the run (and check the flags' syntax) before asking anything.
        target = restart_mod.find_run(ctx, kw["restart"])
        given = run_mod.decode_flag_args(flag_args)
        if not kw["yes"]:
            _confirm_run(f"You are about to restart {target.id} ({target.op_name})", dict(given))
        restart_mod.restart(ctx, target, given, opts)
        return
    if kw["start"]:
        target = restart_mod.find_run(ctx, kw["start"])
        if not kw["yes"]:
            _confirm_run(f"You are about to start {target.id} ({target.op_name})", target.flags)
        restart_mod.start_staged(ctx, target.id, opts)
        return
    if not opspec:
        raise UsageError("missing operation", ["Try 'guildlike operations' for a list of available operations."])
    if kw["help_op"]:
        out("\n".join(_help_op_lines(run_mod.resolve_opdef(ctx, opspec))))
        return
    if not kw["yes"] and not opts.print_trials:
        # Errors in the op or its flags are reported before the question.
        opdef, flags = run_mod.preview(ctx, opspec, flag_args, opts)
        _confirm_run(f"You are about to run {opdef.full_name}", flags)
    run_mod.run_op(ctx, opspec, flag_args, opts)
