"""``guildlike run``: run, stage, start or restart an operation."""

from __future__ import annotations

import re
from typing import Any

import click

from ..errors import GuildlikeError, UsageError
from ..guildfile.opdef import OpDef
from ..ops import background
from ..ops.background import Request
from ..ops.engine import Engine
from ..ops.executors import LocalExecutor, make_executor
from ..ops.opdefs import decode_flag_args, resolve_opdef
from ..ops.options import RunOptions
from ..ops.restart import find_run
from ..store import runids
from ..store.runids import RULE as RUN_ID_RULE
from ..store.store import new_run_id
from ..util.yamlutil import encode_value
from .common import Command, confirm, make_context
from .rows import table
from .ui import err, out

_GPUS = re.compile(r"^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$")


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
            pad = " " * (width + 4)
            lines += [pad, pad + "Choices:  " + ", ".join(
                encode_value(c.get("value") if isinstance(c, dict) else c) for c in fd.choices)]
    return lines


def _confirm_run(head: str, flags: dict[str, Any]) -> None:
    """Ask before running, showing every flag value the run will get."""
    lines = [head]
    lines += [f"  {name}: {encode_value(flags[name]) if not isinstance(flags[name], str) else flags[name]}"
              for name in sorted(flags) if flags[name] is not None]
    confirm(lines, "Continue?", True, declined_exit=0)  # as Guild: declining a run is no error


def _print_plan(ctx: Any, spec: str, flag_args: list[str], opts: RunOptions) -> None:
    run_, rows = Engine(ctx).plan(spec, flag_args, opts)
    out(f"Restart plan for {run_.op_name} [{run_.short_id}]{' with --needed' if opts.needed else ''}:")
    data = [[r.step, r.action, r.run_id[:8] or "-", r.reason] for r in rows]
    for line in table(data):
        out(f"  {line}")


@click.command(cls=Command)
@click.argument("opspec", required=False)
@click.argument("flags", nargs=-1)
@click.option("-l", "--label", help="Label for the run, or each trial of a batch (may use ${flag} references).")
@click.option("-bl", "--batch-label", help="Label for a batch run itself (-l labels each trial).")
@click.option("-bt", "--batch-tag", "batch_tags", multiple=True, help="Tag for a batch run itself (may be repeated).")
@click.option("-t", "--tag", "tags", multiple=True, help="Tag for the run (may be repeated).")
@click.option("--run-id", help=f"Use this id for the new run: {RUN_ID_RULE}.")
@click.option("--stage", is_flag=True, help="Stage the run without starting it.")
@click.option("--start", "start", metavar="RUN", help="Start a staged run.")
@click.option("--restart", "restart", metavar="RUN", help="Restart a run in its own directory.")
@click.option("--plan", is_flag=True, help="With --restart: show what would be reused, rerun or created, and why.")
@click.option("--force-structure", is_flag=True, help="With --restart: go on even if the pipeline's steps changed.")
@click.option(
    "--needed", is_flag=True, help="Skip when a matching run exists (or, with --restart, when flags are unchanged)."
)
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
@click.option(
    "--minimize", metavar="SCALAR", help="Scalar a search minimizes (default: the op's objective, else loss)."
)
@click.option("--maximize", metavar="SCALAR", help="Scalar a search maximizes.")
@click.option("--help-op", is_flag=True, help="Show the operation's description and flags, and exit.")
@click.option("-b", "--background", is_flag=True, help="Run in the background and return at once.")
@click.option("--proto", metavar="RUN", help="Run RUN's operation with its flags and source (a run directory, "
              "an operation's marked or latest run, or an id prefix); FLAGS given change its flags.")
@click.option("--gpus", metavar="DEVICES", help="Set CUDA_VISIBLE_DEVICES to DEVICES (e.g. 0,1) for the run; "
              "on a cluster, run it on a worker with as many GPUs.")
@click.option("--no-gpus", is_flag=True, help="Hide all GPUs from the run (CUDA_VISIBLE_DEVICES empty).")
@click.option(
    "--executor",
    metavar="SPEC",
    envvar="GUILDLIKE_EXECUTOR",
    help="Where op processes run: local (default) or dask://HOST:PORT (else env GUILDLIKE_EXECUTOR, "
    "else executor: in the home's config.yml).",
)
@click.option("--print-cmd", is_flag=True, help="Show the command the operation would run, and exit.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing (the output is still recorded).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def run(opspec: str | None, flags: tuple[str, ...], **kw: Any) -> None:
    """Run an operation.

    OPSPEC is an operation of the project's guild.yml (`train`, or
    `MODEL:OP`) or a Python script (`train.py`); FLAGS are NAME=VALUE.
    `guildlike run OP --help-op` shows an operation's flags.

    A list value (`lr=[0.01,0.1]`) runs a grid of trials; a range
    (`x=[-2.0:2.0]`) a random search, or with `-o bayesian` a model-based
    one. `@FILE` reads trials from a CSV, JSON or YAML file. A batch run
    is removed when all its trials complete (unless `--keep-batch`) and
    kept when one fails.

    `--restart RUN` runs a run again in its own directory, with any FLAGS
    given changed; a pipeline restarts its step runs. `--restart RUN
    --needed` reuses the steps (or trials) that completed with the same
    flags. `--start RUN` starts a run made with `--stage`.

    `-b` runs it in the background: the command returns once the run has
    started (`guildlike watch` follows it, `guildlike stop` stops it).

    Examples:

    \b
      guildlike run train lr=0.1 -y
      guildlike run train.py x=2 -y
      guildlike run train --help-op
      guildlike run train lr=[0.01,0.1] batch=[16,32] -y
      guildlike run train x=[-2:2] -o bayesian -m 20 -y
      guildlike run train @trials.csv -y
      guildlike run --restart RUN target=0.99 --needed -y
      guildlike run --restart RUN --needed --plan
      guildlike run train -b -y
      guildlike run train --print-cmd
      guildlike run --proto train lr=0.2 --gpus 0 -q -y
    """
    if kw["proto"] and opspec and "=" not in opspec and not opspec.startswith("@"):
        raise UsageError("--proto runs RUN's operation: give flags only, not an operation")
    restarting = bool(kw["restart"] or kw["start"] or kw["proto"])
    opspec, flag_args, files = _split_args(opspec, flags, restarting)
    _check_usage(kw)
    opts = _run_options(kw, files)
    ctx = make_context(quiet=kw["quiet"])
    # In the background the detached process makes the executor (it is the cluster's client).
    engine = Engine(ctx, LocalExecutor() if kw["background"] else make_executor(ctx, kw["executor"]))
    if kw["proto"]:
        _run_proto(engine, kw, flag_args, opts)
    elif kw["plan"]:
        _print_plan(ctx, kw["restart"], flag_args, opts)
    elif kw["restart"] or kw["start"]:
        _restart_or_start(ctx, engine, kw, flag_args, opts)
    else:
        _run_new(engine, opspec, flag_args, opts, kw)


def _run_new(engine: Engine, opspec: str | None, flag_args: list[str], opts: RunOptions, kw: dict[str, Any]) -> None:
    ctx = engine.ctx
    if not opspec:
        raise UsageError("missing operation", ["Try 'guildlike operations' for a list of available operations."])
    if kw["help_op"]:
        out("\n".join(_help_op_lines(resolve_opdef(engine.ctx, opspec))))
    elif kw["print_cmd"]:
        opdef, resolved = engine.preview(opspec, flag_args, opts)
        out("\n".join(engine.command_lines(opdef, resolved, opts)))
    else:
        if not kw["yes"] and not opts.print_trials:
            # Errors in the op or its flags are reported before the question.
            opdef, resolved = engine.preview(opspec, flag_args, opts)
            _confirm_run(f"You are about to run {opdef.full_name}", resolved)
        if kw["background"]:
            _background(ctx, Request.make("run", opts.run_id or new_run_id(), opts, opspec, flag_args,
                                      kw["executor"]))
        else:
            engine.run_op(opspec, flag_args, opts)


def _restart_or_start(ctx: Any, engine: Engine, kw: dict[str, Any], flag_args: list[str], opts: RunOptions) -> None:
    if kw["restart"]:
        # Find the run (and check the flags' syntax) before asking anything.
        target = find_run(ctx, kw["restart"])
        given = decode_flag_args(flag_args)
        if not kw["yes"]:
            _confirm_run(f"You are about to restart {target.id} ({target.op_name})", dict(given))
        if kw["background"]:
            _background(ctx, Request.make("restart", target.id, opts, flag_args=flag_args,
                                      executor=kw["executor"]))
        else:
            engine.restart(target, given, opts)
        return
    target = find_run(ctx, kw["start"])
    if not kw["yes"]:
        _confirm_run(f"You are about to start {target.id} ({target.op_name})", target.flags)
    if kw["background"]:
        _background(ctx, Request.make("start", target.id, opts, executor=kw["executor"]))
    else:
        engine.start_staged(target.id, opts)


def _background(ctx: Any, request: Request) -> None:
    """Run ``request`` in a detached process; say so once the run has started."""
    started = background.start(ctx, request)
    if started is not None:
        err(f"{started.op_name} started in background as {started.id}")


def _run_proto(engine: Engine, kw: dict[str, Any], flag_args: list[str], opts: RunOptions) -> None:
    proto, opdef, resolved = engine.preview_proto(kw["proto"], flag_args, opts)
    if kw["print_cmd"]:
        out("\n".join(engine.command_lines(opdef, resolved, opts)))
        return
    if not kw["yes"] and not opts.print_trials:
        _confirm_run(f"You are about to run {opdef.full_name} (from {proto.short_id})", resolved)
    engine.run_proto(proto, opdef, resolved, opts)


def _check_usage(kw: dict[str, Any]) -> None:
    """Options that cannot go together, found before anything is read."""
    if kw["gpus"] is not None and kw["no_gpus"]:
        raise GuildlikeError(
            "--no-gpus and --gpus cannot both be used", ["Try 'guildlike run --help' for more information."]
        )
    if kw["gpus"] is not None and not _GPUS.match(kw["gpus"]):
        raise UsageError(f"invalid --gpus {kw['gpus']!r}: use device numbers or ids separated by commas (0,1)")
    if kw["proto"] and (kw["restart"] or kw["start"]):
        raise UsageError("--proto cannot be used with --restart or --start")
    if kw["print_cmd"] and (kw["restart"] or kw["start"] or kw["stage"]):
        raise UsageError("--print-cmd cannot be used with --restart, --start or --stage")
    if kw["restart"] and kw["start"]:
        raise UsageError("--restart and --start cannot be used together")
    for opt in ("restart", "start"):
        if kw[opt] is not None and kw[opt].startswith("-"):
            raise UsageError(f"--{opt} needs a RUN, got '{kw[opt]}'")
    if kw["stage"] and (kw["restart"] or kw["start"]):
        raise UsageError("--stage cannot be used with --restart or --start")
    if kw["minimize"] and kw["maximize"]:
        raise UsageError("--minimize and --maximize cannot be used together")
    if kw["plan"] and not kw["restart"]:
        raise UsageError("--plan is used with --restart RUN")
    if kw["background"]:
        for opt in ("stage", "plan", "print_trials", "help_op"):
            if kw[opt]:
                raise UsageError(f"--background cannot be used with --{opt.replace('_', '-')}")
    if kw["run_id"] is not None and not runids.is_valid(kw["run_id"]):
        raise UsageError(f"invalid --run-id {kw['run_id']!r}: use {RUN_ID_RULE}")


_OPTION_NAMES = (
    "label", "run_id", "stage", "needed", "force_sourcecode", "force_flags", "force_structure", "max_trials",
    "random_seed", "optimizer", "keep_batch", "fail_on_trial_error", "stage_trials", "max_parallel",
    "print_trials", "minimize", "maximize", "batch_label",
)


def _run_options(kw: dict[str, Any], files: list[str]) -> RunOptions:
    given: dict[str, Any] = {name: kw[name] for name in _OPTION_NAMES}
    gpus = "" if kw["no_gpus"] else kw["gpus"]
    return RunOptions(tags=list(kw["tags"]), batch_tags=list(kw["batch_tags"]), batch_files=files, gpus=gpus, **given)
