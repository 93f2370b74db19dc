"""Batch runs: a run of its own (``OP+``, ``OP+random``, ``OP+bayesian``) that runs trials.

Each trial is a normal run of ``OP`` whose label is its flags. The batch
records its trials (``trials`` attribute: flags and run id) and links to
them. Restarting a batch runs fresh trials; with ``--needed`` only the
trials that failed, were terminated or never ran are run again, with the
flag values they had (Guild would generate new ones).
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..context import Context
from ..errors import GuildlikeError, RunFailed
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import index, status, store
from ..store.run import Run
from ..util.files import remove_tree
from . import trials as trialsmod
from .options import RunOptions
from .run import INTERRUPTED_CODES



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
        spaces = trialsmod.typed_spaces(base, flags)
        return trialsmod.random_trials(spaces, max_trials, spec["random_seed"], trialsmod.int_flags(base))
    raise GuildlikeError(f"unknown optimizer '{kind}'")


def check_trials(base: OpDef, trials: list[dict[str, Any]], opts: RunOptions) -> list[dict[str, Any]]:
    """Each trial's flags resolved and checked against the trial op."""
    return [flagsmod.resolve(base, t, force_flags=opts.force_flags) for t in trials]


def print_trials(ctx: Context, trials: list[dict[str, Any]]) -> None:
    from ..store.rows import table
    from ..util.yamlutil import encode_value

    names = sorted({n for t in trials for n in t})
    data = [["#"] + names] + [[str(i)] + [encode_value(t.get(n)) for n in names] for i, t in enumerate(trials, 1)]
    for line in table(data):
        ctx.ui.message(line)


def _check_optimizer(kind: str, opts: RunOptions, base: OpDef, flags: dict[str, Any]) -> None:
    """Errors a model-based search would meet, found before the batch run is made."""
    if kind in ("grid", "random"):
        return
    from . import optimize

    optimize.check_available()
    optimize.distributions(base, flags)
    if opts.print_trials:
        raise GuildlikeError(f"--print-trials is not supported for optimizer '{kind}'")
    if opts.stage_trials:
        raise GuildlikeError(
            f"--stage-trials is not supported for optimizer '{kind}'",
            ["Its trials depend on the results of earlier ones."],
        )


def run_batch(ctx: Context, opdef: OpDef, flags: dict[str, Any], opts: RunOptions) -> Run | None:
    from .run import prepare_run

    kind = trialsmod.kind(flags, opts.optimizer)
    _check_optimizer(kind, opts, opdef, flags)
    seed = opts.random_seed if opts.random_seed is not None else random.randrange(2**31)
    bop = batch_opdef(opdef, kind, flags, opts, seed)
    trials: list[dict[str, Any]] = []
    if kind in ("grid", "random"):
        trials = check_trials(opdef, generate(ctx, opdef, bop, flags), opts)
        if opts.print_trials:
            print_trials(ctx, trials)
            return None
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
    """Run ``batch`` again: fresh trials, or with ``--needed`` only what did not complete."""
    from .restart import SKIP_MESSAGE
    from .run import _storable_flags as storable
    from .run import snapshot_source

    base = trial_opdef(bop)
    spec = bop.batch or {}
    kind = spec["kind"]
    flags = trialsmod.decode_spaces(base, flags)
    _check_optimizer(kind, opts, base, flags)
    unchanged = storable(flags) == storable(trialsmod.decode_spaces(base, batch.flags))
    needed_only = opts.needed and unchanged
    if opts.max_trials is not None:
        spec["max_trials"] = opts.max_trials
    if opts.random_seed is not None:
        spec["random_seed"] = opts.random_seed
    elif kind != "grid" and not needed_only:
        spec["random_seed"] = random.randrange(2**31)
    if opts.force_sourcecode:
        snapshot_source(ctx, batch, bop)
    batch.set("op", bop.to_data())
    batch.set("flags", storable(flags))
    if needed_only:
        if not _needs_work(ctx, batch, spec):
            ctx.ui.message(SKIP_MESSAGE)
            return
        _run(ctx, batch, bop, flags, None, opts, fresh=False)
        return
    trials: list[dict[str, Any]] = []
    keep: list[Run] = []
    if kind in ("grid", "random"):
        trials = check_trials(base, generate(ctx, base, bop, flags), opts)
        if opts.needed:  # new flag values: a trial that completed with the same values is kept
            keep = [r for _, r in existing_trials(ctx, batch) if r is not None and r.status == status.COMPLETED]
    _run(ctx, batch, bop, flags, trials, opts, fresh=True, keep=keep)


def _needs_work(ctx: Context, batch: Run, spec: dict[str, Any]) -> bool:
    records = list(batch.get("trials") or [])
    if spec.get("kind") not in ("grid", "random"):
        if len(records) < (spec.get("max_trials") or trialsmod.DEFAULT_MAX_TRIALS):
            return True
    return any(trun is None or trun.status != status.COMPLETED for _, trun in existing_trials(ctx, batch))


def linked_trials(ctx: Context, batch: Run) -> list[Run]:
    """The runs the batch links to (its trials of every round), by ID."""
    out = []
    for name in sorted(os.listdir(batch.path)):
        p = batch.path / name
        if os.path.islink(p) and p.is_dir():
            out.append(store.run_for_id(ctx, os.path.basename(os.readlink(p))))
    return out


def existing_trials(ctx: Context, batch: Run) -> list[tuple[dict[str, Any], Run | None]]:
    """(flags, run or None when it never ran or is gone) for each trial the batch records.

    A trial made in the batch's last round whose run ID did not reach the
    record (guildlike was killed) is found again by its link and flags.
    """
    records = list(batch.get("trials") or [])
    known = {rec.get("run") for rec in records}
    started = batch.get("started") or 0
    unrecorded = [
        r for r in linked_trials(ctx, batch) if r.id not in known and (r.get("initialized") or 0) >= started
    ]
    unrecorded.sort(key=lambda r: r.get("initialized") or 0)
    out: list[tuple[dict[str, Any], Run | None]] = []
    for rec in records:
        tflags = dict(rec.get("flags") or {})
        rid = rec.get("run")
        trun = store.run_for_id(ctx, rid) if rid else None
        if trun is None:
            trun = next((r for r in unrecorded if r.flags == tflags), None)
            if trun is not None:
                unrecorded.remove(trun)
        if trun is not None and not trun.path.is_dir():
            trun = None
        out.append((tflags, trun))
    return out


def _repair_records(ctx: Context, batch: Run) -> None:
    """Write back run IDs ``existing_trials`` found by link (before a new round starts)."""
    records = list(batch.get("trials") or [])
    found = existing_trials(ctx, batch)
    if any(rec.get("run") is None and r is not None for rec, (_, r) in zip(records, found)):
        batch.set("trials", [{"flags": f, "run": r.id if r else None} for f, r in found])


class TrialRecords:
    """The batch's ``trials`` attribute, kept up to date as trials are made (thread safe).

    Rewriting the whole list for each trial would cost a big grid time
    that grows with the square of its size, so a new run ID is saved at
    most every ``SAVE_EVERY`` seconds, and always by ``flush``. A run ID
    lost to a kill is found again by ``existing_trials``.
    """

    SAVE_EVERY = 1.0

    def __init__(self, batch: Run, records: list[tuple[dict[str, Any], Run | None]]) -> None:
        self._batch = batch
        self._items: list[list[Any]] = [[dict(f), r.id if r else None] for f, r in records]
        self._lock = threading.Lock()
        self._dirty = False
        self._saved_at = 0.0
        self._save()

    def __len__(self) -> int:
        return len(self._items)

    def _save(self) -> None:
        self._batch.set("trials", [{"flags": f, "run": rid} for f, rid in self._items])
        self._dirty = False
        self._saved_at = time.monotonic()

    def add(self, flags: dict[str, Any]) -> int:
        """Record a new trial (saved at once: its flags exist nowhere else yet)."""
        with self._lock:
            self._items.append([dict(flags), None])
            self._save()
            return len(self._items) - 1

    def set_run(self, i: int, run_id: str) -> None:
        with self._lock:
            self._items[i][1] = run_id
            self._dirty = True
            if time.monotonic() - self._saved_at >= self.SAVE_EVERY:
                self._save()

    def flush(self) -> None:
        with self._lock:
            if self._dirty:
                self._save()


def new_trial(ctx: Context, batch: Run, base: OpDef, tflags: dict[str, Any], opts: RunOptions) -> Run:
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


def trial_line(run: Run, base: OpDef, tflags: dict[str, Any]) -> str:
    from ..util.yamlutil import encode_value

    shown = ", ".join(f"{n}={encode_value(tflags[n])}" for n in sorted(tflags) if tflags[n] is not None)
    return f"Running trial {run.id}: {base.full_name} ({shown})"


def run_trial(ctx: Context, batch: Run, base: OpDef, trun: Run, tflags: dict[str, Any], opts: RunOptions) -> int:
    """Run (or run again) one trial; 0 when it completed, else its exit status.

    An interrupted trial, or any failure with ``--fail-on-trial-error``,
    raises ``RunFailed`` to stop the batch.
    """
    from .restart import restart
    from .run import execute

    ctx.ui.info(trial_line(trun, base, tflags))
    topts = opts.for_child(parent_id=batch.id)
    try:
        if trun.get("exit_status") is None and trun.get("started") is None:
            execute(ctx, trun, base, topts)
        else:
            restart(ctx, trun, {}, topts)
    except RunFailed as e:
        if e.exit_code in INTERRUPTED_CODES or opts.fail_on_trial_error:
            raise
        return e.exit_code
    return 0


def run_parallel(items: list[Any], fn: Callable[[Any], Any], max_parallel: int) -> list[Any]:
    """``fn`` over ``items``, ``max_parallel`` at a time, results in order."""
    if max_parallel <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from . import process

    with ThreadPoolExecutor(max_workers=max_parallel) as pool:
        try:
            return list(pool.map(fn, items))
        except process.Interrupted as e:
            # Signals reach this (main) thread only: pass them on to the
            # trials still running, or the pool would wait for them to end.
            _signal_children(e.signum)
            raise


def _signal_children(signum: int) -> None:
    """Send ``signum`` to the process group of each process this one started."""
    import psutil

    for child in psutil.Process().children():
        try:
            os.killpg(child.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def _keep_batch(batch: Run, opts: RunOptions) -> bool:
    params = batch.get("run_params") or {}
    return opts.keep_batch or opts.stage_trials or bool(isinstance(params, dict) and params.get("keep_batch"))


def _run(
    ctx: Context,
    batch: Run,
    bop: OpDef,
    flags: dict[str, Any],
    trials: list[dict[str, Any]] | None,
    opts: RunOptions,
    fresh: bool,
    keep: list[Run] | None = None,
) -> None:
    from .run import finish, mark_started, recording_end

    base = trial_opdef(bop)
    if not fresh:
        _repair_records(ctx, batch)
    mark_started(batch, opts, ctx)
    status.write_lock(batch.path, os.getpid())
    with recording_end(batch):
        if bop.batch and bop.batch["kind"] not in ("grid", "random"):
            from . import optimize

            failed = optimize.run(ctx, batch, bop, base, flags, opts, fresh)
        else:
            failed = _run_listed(ctx, batch, bop, base, trials, opts, fresh, keep or [])
    code = 1 if failed else 0
    finish(batch, code)
    if code == 0 and not _keep_batch(batch, opts):
        remove_tree(batch.path)
        index.touch(ctx)
    if failed:
        raise RunFailed(1, f"{len(failed)} trial(s) failed")


def _run_listed(
    ctx: Context,
    batch: Run,
    bop: OpDef,
    base: OpDef,
    trials: list[dict[str, Any]] | None,
    opts: RunOptions,
    fresh: bool,
    keep: list[Run],
) -> list[int]:
    """Run a grid, file or random batch; the exit statuses of the trials that failed.

    A fresh trial whose flags match a run in ``keep`` takes that run (which
    completed) instead of running again.
    """
    from . import optimize
    from .run import _mark_staged

    if fresh:
        assert trials is not None
        planned: list[tuple[dict[str, Any], Run | None]] = [(t, _take(keep, t)) for t in trials]
    else:
        planned = existing_trials(ctx, batch)
    records = TrialRecords(batch, planned)
    best = optimize.Best(optimize.objective_for(base, bop.batch or {}))
    total = len(planned)
    for _, trun in planned:
        if trun is not None and trun.status == status.COMPLETED:
            best.add(trun)

    def one(i: int) -> int:
        tflags, trun = planned[i]
        if trun is not None and trun.status == status.COMPLETED:
            return 0
        if trun is None:
            trun = new_trial(ctx, batch, base, tflags, opts)
            records.set_run(i, trun.id)
        if opts.stage_trials:
            _mark_staged(trun)
            ctx.ui.info(f"Staged trial {trun.id}: {base.full_name}")
            return 0
        ctx.ui.progress(best.progress(i + 1, total))
        code = run_trial(ctx, batch, base, trun, tflags, opts)
        if code == 0:
            best.add(trun)
        return code

    parallel = 1 if opts.stage_trials else opts.max_parallel
    try:
        codes = run_parallel(list(range(total)), one, parallel)
    finally:
        records.flush()
    return [c for c in codes if c]


def _take(runs: list[Run], flags: dict[str, Any]) -> Run | None:
    """The first of ``runs`` with ``flags``, removed from ``runs``; None when none has them."""
    for i, run in enumerate(runs):
        if run.flags == flags:
            return runs.pop(i)
    return None
