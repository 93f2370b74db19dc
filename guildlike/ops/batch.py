"""Batch runs: a run of its own (``OP+``, ``OP+random``) that runs trials.

Each trial is a normal run of ``OP`` whose label is its flags. The batch
records its trials (``trials`` attribute: flags and run id) and links to
them. Restarting a batch runs fresh trials; with ``--needed`` only the
trials that failed, were terminated or never ran are run again, with the
flag values they had.
"""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError, RunFailed
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import status, store
from ..store.run import Run
from ..util.files import remove_tree
from . import trials as trialsmod
from .options import RunOptions


def batch_opdef(opdef: OpDef, kind: str, flags: dict[str, Any], opts: RunOptions, seed: int) -> OpDef:
    suffix = "+" if kind == "grid" else f"+{kind}"
    data = opdef.to_data()
    data.update(
        {
            "name": opdef.name + suffix,
            "steps": None,
            "label": None,
            "batch": {
                "kind": kind,
                "trial_op": opdef.to_data(),
                "max_trials": opts.max_trials,
                "random_seed": seed,
                "batch_files": list(opts.batch_files),
                "minimize": opts.minimize,
                "maximize": opts.maximize,
            },
        }
    )
    data = {k: v for k, v in data.items() if v is not None}
    return OpDef.from_data(data)


def trial_opdef(batch_op: OpDef) -> OpDef:
    assert batch_op.batch is not None
    return OpDef.from_data(batch_op.batch["trial_op"])


def _file_trials(ctx: Context, files: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in files:
        out.extend(trialsmod.read_file(ctx.cwd / f))
    return out


def generate(ctx: Context, base: OpDef, batch_op: OpDef, flags: dict[str, Any]) -> list[dict[str, Any]]:
    spec = batch_op.batch or {}
    kind = spec["kind"]
    max_trials = spec.get("max_trials")
    if kind == "grid":
        if spec.get("batch_files"):
            rows = _file_trials(ctx, spec["batch_files"])
            out = []
            for row in rows:
                merged = dict(flags)
                merged.update(row)
                out.extend(trialsmod.grid(merged))
            return out[:max_trials] if max_trials else out
        return trialsmod.grid(flags, max_trials)
    if kind == "random":
        return trialsmod.random_trials(flags, max_trials, spec["random_seed"])
    raise GuildlikeError(f"unknown optimizer '{kind}'")


def _check_trials(base: OpDef, trials: list[dict[str, Any]], opts: RunOptions) -> list[dict[str, Any]]:
    return [flagsmod.resolve(base, t, force_flags=opts.force_flags) for t in trials]


def print_trials(ctx: Context, trials: list[dict[str, Any]]) -> None:
    from ..store.rows import table
    from ..util.yamlutil import encode_value

    names = sorted({n for t in trials for n in t})
    data = [["#"] + names] + [[str(i)] + [encode_value(t.get(n)) for n in names] for i, t in enumerate(trials, 1)]
    for line in table(data):
        ctx.ui.message(line)


def run_batch(ctx: Context, opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> Run | None:
    from .run import prepare_run

    kind = trialsmod.kind(flags, opts.optimizer)
    if kind in ("bayesian", "tpe", "gp"):
        from . import optimize

        optimize.check_available()
    seed = opts.random_seed if opts.random_seed is not None else random.randrange(2**31)
    bop = batch_opdef(opdef, kind, flags, opts, seed)
    if kind == "grid" or kind == "random":
        trials = _check_trials(opdef, generate(ctx, opdef, bop, flags), opts)
        if opts.print_trials:
            print_trials(ctx, trials)
            return None
    elif opts.print_trials:
        raise GuildlikeError(f"--print-trials is not supported for optimizer '{kind}'")
    else:
        trials = []
    batch_opts = opts.for_child(
        label="",
        run_id=opts.run_id,
        parent_id=opts.parent_id,
        candidates=opts.candidates,
        trigger=opts.trigger,
        keep_batch=opts.keep_batch,
        fail_on_trial_error=opts.fail_on_trial_error,
        max_parallel=opts.max_parallel,
        stage_trials=opts.stage_trials,
    )
    batch = prepare_run(ctx, bop, flags, batch_opts)
    batch.set("label", "")
    _run(ctx, batch, bop, flags, trials, opts, fresh=True)
    return batch


def restart_batch(ctx: Context, batch: Run, bop: OpDef, flags: dict[str, Any], opts: RunOptions) -> None:
    from .run import snapshot_source

    if opts.force_sourcecode:
        batch.set("op", bop.to_data())
        snapshot_source(ctx, batch, bop)
    batch.set("flags", {k: (str(v) if isinstance(v, flagsmod.SearchSpace) else v) for k, v in flags.items()})
    if opts.needed:
        _run(ctx, batch, bop, flags, None, opts, fresh=False)
        return
    base = trial_opdef(bop)
    kind = (bop.batch or {})["kind"]
    trials: list[dict[str, Any]] = []
    if kind in ("grid", "random"):
        if kind == "random" and opts.random_seed is None:
            bop.batch["random_seed"] = random.randrange(2**31)  # type: ignore[index]
            batch.set("op", bop.to_data())
        trials = _check_trials(base, generate(ctx, base, bop, flags), opts)
    _run(ctx, batch, bop, flags, trials, opts, fresh=True)


def _trial_source(batch: Run) -> tuple[Path, list[str]]:
    return batch.path, list(batch.get("sourcecode") or [])


def _new_trial(ctx: Context, batch: Run, base: OpDef, tflags: dict[str, Any], opts: RunOptions) -> Run:
    from .run import initial_label, prepare_run

    topts = opts.for_child(parent_id=batch.id, trigger=f"batch {batch.id}", keep_batch=False)
    run = prepare_run(ctx, base, tflags, topts, snapshot=False)
    _copy_batch_source(batch, run)
    run.set("label", initial_label(base, tflags, topts))
    os.symlink(os.path.join("..", run.id), batch.path / run.id)
    return run


def _copy_batch_source(batch: Run, run: Run) -> None:
    import shutil

    files = list(batch.get("sourcecode") or [])
    for rel in files:
        src = batch.path / rel
        if src.is_file():
            dest = run.path / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    run.set("sourcecode", files)
    run.set("sourcecode_digest", batch.get("sourcecode_digest") or "")


def _trial_line(run: Run, base: OpDef, tflags: dict[str, Any]) -> str:
    from ..util.yamlutil import encode_value

    shown = ", ".join(f"{n}={encode_value(tflags[n])}" for n in sorted(tflags) if tflags[n] is not None)
    return f"Running trial {run.id}: {base.full_name} ({shown})"


def _run(
    ctx: Context,
    batch: Run,
    bop: OpDef,
    flags: dict[str, Any],
    trials: list[dict[str, Any]] | None,
    opts: RunOptions,
    fresh: bool,
) -> None:
    from .restart import restart
    from .run import execute, finish, mark_started

    base = trial_opdef(bop)
    mark_started(batch)
    status.write_lock(batch.path, os.getpid())
    failed: list[int] = []
    try:
        if bop.batch and bop.batch["kind"] not in ("grid", "random"):
            from . import optimize

            failed = optimize.run(ctx, batch, bop, base, flags, opts, fresh)
        else:
            jobs = _plan(ctx, batch, base, trials, opts, fresh)
            batch.set("trials", [{"flags": t, "run": r.id if r else None} for t, r, _ in jobs])
            total = len(jobs)

            def one(i: int, job: tuple[dict[str, Any], Run | None, bool]) -> int:
                tflags, trun, rerun = job
                if trun is not None and not rerun:
                    return 0
                if trun is None:
                    trun = _new_trial(ctx, batch, base, tflags, opts)
                    jobs[i - 1] = (tflags, trun, True)
                    batch.set("trials", [{"flags": t, "run": r.id if r else None} for t, r, _ in jobs])
                if opts.stage_trials:
                    from .run import _mark_staged

                    _mark_staged(trun)
                    ctx.ui.info(f"Staged trial {trun.id}: {base.full_name}")
                    return 0
                ctx.ui.progress(f"trial {i} of {total}")
                ctx.ui.info(_trial_line(trun, base, tflags))
                try:
                    if trun.get("exit_status") is None and trun.get("started") is None:
                        execute(ctx, trun, base, opts.for_child(parent_id=batch.id))
                    else:
                        restart(ctx, trun, {}, opts.for_child(parent_id=batch.id))
                except RunFailed as e:
                    if e.exit_code in (130, 143):
                        raise
                    if opts.fail_on_trial_error:
                        raise
                    return e.exit_code
                return 0

            if opts.max_parallel > 1 and not opts.stage_trials:
                with ThreadPoolExecutor(max_workers=opts.max_parallel) as pool:
                    codes = list(pool.map(lambda p: one(*p), list(enumerate(jobs, 1))))
            else:
                codes = [one(i, job) for i, job in enumerate(jobs, 1)]
            failed = [c for c in codes if c]
    except RunFailed as e:
        finish(batch, -(e.exit_code - 128) if e.exit_code in (130, 143) else e.exit_code)
        raise
    except GuildlikeError as e:
        finish(batch, e.exit_code)
        raise
    except BaseException:
        finish(batch, 1)
        raise
    code = 1 if failed else 0
    finish(batch, code)
    if code == 0 and not opts.keep_batch and not opts.stage_trials:
        remove_tree(batch.path)
        store.touch(ctx)
    if failed:
        raise RunFailed(1, f"{len(failed)} trial(s) failed")


def _plan(
    ctx: Context,
    batch: Run,
    base: OpDef,
    trials: list[dict[str, Any]] | None,
    opts: RunOptions,
    fresh: bool,
) -> list[tuple[dict[str, Any], Run | None, bool]]:
    """(flags, existing trial run or None, rerun?) for each trial."""
    if fresh:
        assert trials is not None
        return [(t, None, True) for t in trials]
    out: list[tuple[dict[str, Any], Run | None, bool]] = []
    for rec in batch.get("trials") or []:
        tflags = dict(rec.get("flags") or {})
        rid = rec.get("run")
        trun = store.run_for_id(ctx, rid) if rid else None
        if trun is None or not trun.path.is_dir():
            out.append((tflags, None, True))
            continue
        st = trun.status
        out.append((tflags, trun, st != status.COMPLETED))
    return out
