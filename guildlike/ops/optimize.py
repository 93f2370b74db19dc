"""Objectives of batches, and model-based search (``-o bayesian``, alias ``tpe``).

The objective is the scalar a search minimises or maximises: ``--minimize``
or ``--maximize SCALAR`` when given, else the operation's ``objective:``
(a scalar name, ``{minimize: NAME}`` or ``{maximize: NAME}``), else
minimise ``loss``. Every batch uses it to show the best value so far.

The Bayesian optimizer is Optuna's TPE sampler, an optional extra
(``pip install 'guildlike[optimize]'``), imported only when asked for.
Each trial's values come from the sampler given the results of the trials
before it. A restarted search warm-starts from the earlier trials the batch
links to that ran the same source code (same ``sourcecode_digest``).
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import GuildfileError, GuildlikeError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import status
from ..store.run import Run
from . import scalars
from . import trials as trialsmod
from .options import RunOptions

if TYPE_CHECKING:
    from ..context import Context

INSTALL_HINT = "pip install 'guildlike[optimize]'"
MAX_STARTUP_TRIALS = 10


def check_available() -> None:
    """Raise a clear error when Optuna, the optional extra, is missing."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise GuildlikeError(
            "the bayesian optimizer needs Optuna, which is not installed",
            [f"Install it with: {INSTALL_HINT}"],
        ) from None


# ---------------------------------------------------------------- objective


@dataclass(frozen=True)
class Objective:
    scalar: str = "loss"
    maximize: bool = False

    def value(self, run: Run) -> float | None:
        """The last value of the objective scalar that ``run`` logged, if any."""
        entry = scalars.read(run.path).get(self.scalar)
        if not isinstance(entry, dict):
            return None
        try:
            val = float(entry.get("last"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return None if math.isnan(val) else val

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b


def objective_for(base: OpDef, spec: dict[str, Any]) -> Objective:
    """The batch's objective (see the module doc for the order)."""
    if spec.get("maximize"):
        return Objective(str(spec["maximize"]), True)
    if spec.get("minimize"):
        return Objective(str(spec["minimize"]), False)
    obj = base.objective
    if obj is None:
        return Objective()
    if isinstance(obj, str) and obj.strip():
        return Objective(obj.strip(), False)
    if isinstance(obj, dict) and len(obj) == 1:
        (how, name), = obj.items()
        if how in ("minimize", "maximize") and isinstance(name, str) and name.strip():
            return Objective(name.strip(), how == "maximize")
    raise GuildfileError(
        f"invalid objective for {base.full_name}: expected a scalar name, "
        "{minimize: NAME} or {maximize: NAME}"
    )


class Best:
    """The best objective value among the trials that completed (thread safe)."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective
        self.value: float | None = None
        self._lock = threading.Lock()

    def add(self, run: Run) -> float | None:
        val = self.objective.value(run)
        if val is not None:
            self.note(val)
        return val

    def note(self, val: float) -> None:
        with self._lock:
            if self.value is None or self.objective.better(val, self.value):
                self.value = val

    def progress(self, i: int, total: int) -> str:
        """``trial 3 of 20, best loss 0.0123 so far`` (the best part once known)."""
        text = f"trial {i} of {total}"
        if self.value is not None:
            text += f", best {self.objective.scalar} {self.value:.6g} so far"
        return text


# ---------------------------------------------------------------- search


def _distribution(name: str, val: Any, is_int: bool) -> Any:
    from optuna import distributions as d

    if isinstance(val, list):
        return d.CategoricalDistribution(tuple(val))
    assert isinstance(val, flagsmod.SearchSpace)
    if val.func == "normal":
        raise GuildlikeError(
            f"invalid value {val} for {name}: the bayesian optimizer cannot search a normal "
            "distribution (use a range such as [LO:HI])"
        )
    log = val.func == "loguniform"
    if is_int or val.func == "randint" or (not log and isinstance(val.lo, int) and isinstance(val.hi, int)):
        return d.IntDistribution(int(val.lo), int(val.hi), log=log)
    return d.FloatDistribution(float(val.lo), float(val.hi), log=log)


def distributions(base: OpDef, flags: dict[str, Any]) -> dict[str, Any]:
    """Optuna distributions of the flags to search (ranges and lists), by name."""
    spaces = trialsmod.typed_spaces(base, flags)
    for name, val in spaces.items():
        if isinstance(val, flagsmod.SearchSpace):  # a bound outside the flag's min/max
            for bound in (val.lo, val.hi):
                flagsmod.resolve(base, {name: bound}, force_flags=True)
    ints = trialsmod.int_flags(base)
    dists = {n: _distribution(n, v, n in ints) for n, v in sorted(spaces.items()) if flagsmod.is_batch_value(v)}
    if not dists:
        raise GuildlikeError(
            "the bayesian optimizer needs a flag to search",
            ["Give a flag a range (x=[-2.0:2.0]) or a list of choices (opt=[sgd,adam])."],
        )
    return dists


def startup_trials(max_trials: int) -> int:
    """Trials sampled at random before TPE's model takes over."""
    return min(MAX_STARTUP_TRIALS, max(2, max_trials // 3))


class Search:
    """An Optuna study over the searchable flags; other flags stay fixed."""

    def __init__(self, base: OpDef, flags: dict[str, Any], objective: Objective, seed: int, max_trials: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.fixed = {n: v for n, v in flags.items() if not flagsmod.is_batch_value(v)}
        self.dists = distributions(base, flags)
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup_trials(max_trials))
        direction = optuna.study.StudyDirection.MAXIMIZE if objective.maximize else optuna.study.StudyDirection.MINIMIZE
        self.study = optuna.create_study(sampler=sampler, direction=direction)

    def ask(self) -> tuple[Any, dict[str, Any]]:
        """(a handle for ``tell``, the trial's flag values)."""
        trial = self.study.ask(self.dists)
        return trial, {**self.fixed, **trial.params}

    def tell(self, handle: Any, value: float | None) -> None:
        import optuna

        if value is None:
            self.study.tell(handle, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(handle, value)

    def add(self, flags: dict[str, Any], value: float) -> bool:
        """Tell the study of a trial run earlier; False when its values do not fit the search."""
        import optuna

        if any(flags.get(n) != v for n, v in self.fixed.items()):
            return False
        try:
            params = {n: flags[n] for n in self.dists}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                trial = optuna.trial.create_trial(params=params, distributions=self.dists, value=value)
                self.study.add_trial(trial)
        except (KeyError, ValueError, TypeError):
            return False
        return True


# ---------------------------------------------------------------- the batch


def _warm_start(ctx: "Context", batch: Run, base: OpDef, search: Search, best: Best) -> int:
    """Tell ``search`` the results of earlier trials that ran the batch's current source."""
    from .batch import linked_trials

    digest = batch.get("sourcecode_digest") or ""
    n = 0
    for run in linked_trials(ctx, batch):
        if run.status != status.COMPLETED:
            continue
        op = run.get("op")
        if (run.get("sourcecode_digest") or "") != digest or not isinstance(op, dict) or op.get("name") != base.name:
            continue
        val = best.objective.value(run)
        if val is not None and search.add(run.flags, val):
            best.note(val)
            n += 1
    return n


def run(
    ctx: "Context",
    batch: Run,
    bop: OpDef,
    base: OpDef,
    flags: dict[str, Any],
    opts: RunOptions,
    fresh: bool,
) -> list[int]:
    """Run a Bayesian search; the exit statuses of the trials that failed.

    ``fresh``: ask for all trials anew (warm-started from earlier ones).
    Otherwise (``--needed``) rerun the recorded trials that did not
    complete, with their values, then ask for the trials still missing.
    """
    from . import batch as batchmod

    check_available()
    spec = bop.batch or {}
    max_trials = int(spec.get("max_trials") or trialsmod.DEFAULT_MAX_TRIALS)
    best = Best(objective_for(base, spec))
    planned = [] if fresh else batchmod.existing_trials(ctx, batch)
    # Going on with a search: a seed of its own, so as not to draw its first values again.
    search = Search(base, flags, best.objective, int(spec["random_seed"]) + len(planned), max_trials)
    reruns = [i for i, (_, r) in enumerate(planned) if r is None or r.status != status.COMPLETED]
    warm = _warm_start(ctx, batch, base, search, best)
    if warm:
        ctx.ui.info(f"Warm-starting the search from {warm} earlier trial(s)")
    records = batchmod.TrialRecords(batch, planned)
    total = max(len(planned), max_trials)
    lock = threading.Lock()
    missing_noted: list[bool] = []

    def one(job: tuple[int, dict[str, Any], Run | None, Any]) -> int:
        i, tflags, trun, handle = job
        if trun is None:
            trun = batchmod.new_trial(ctx, batch, base, tflags, opts)
            records.set_run(i, trun.id)
        ctx.ui.progress(best.progress(i + 1, total))
        code = batchmod.run_trial(ctx, batch, base, trun, tflags, opts)
        val = best.add(trun) if code == 0 else None
        with lock:
            if code == 0 and val is None and not missing_noted:
                missing_noted.append(True)
                ctx.ui.info(
                    f"Trial {trun.id} logged no scalar '{best.objective.scalar}': "
                    "the optimizer cannot learn from it"
                )
            if handle is None:
                if val is not None:
                    search.add(tflags, val)
            else:
                search.tell(handle, val)
        return code

    codes: list[int] = []
    par = max(1, opts.max_parallel)
    again = [(i, planned[i][0], planned[i][1], None) for i in reruns]
    try:
        codes += batchmod.run_parallel(again, one, par)
        while len(records) < max_trials:
            wave = []
            for _ in range(min(par, max_trials - len(records))):
                handle, tflags = search.ask()
                tflags = batchmod.check_trials(base, [tflags], opts)[0]
                wave.append((records.add(tflags), tflags, None, handle))
            codes += batchmod.run_parallel(wave, one, par)
    finally:
        records.flush()
    return [c for c in codes if c]
