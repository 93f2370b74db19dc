"""Model-based search (``-o bayesian``, alias ``tpe``).

The objective is ``objective.Objective``. The Bayesian optimizer is Optuna's TPE sampler, an optional extra
(``pip install 'guildlike[optimize]'``), imported only when asked for.
Each trial's values come from the sampler given the results of the trials
that ended before it was asked for; with ``--max-parallel N``, N trials are
in flight, and a new one is asked for as soon as one ends. The study lives
in the batch run: each trial's values are recorded before it runs, so a
restarted search (even after its own process was killed) reruns what did
not complete and warm-starts from the earlier trials the batch links to
that ran the same source code (same ``sourcecode_digest``).
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from ..errors import GuildlikeError, Interrupted
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import status
from ..store.run import Run
from . import trials as trialsmod
from .batchdef import check_trials
from .objective import Best, Objective, objective_for
from .options import RunOptions
from .runner import Runner
from .trialrecords import TrialRecords, existing_trials, linked_trials
from .trialrun import new_trial, run_parallel, run_trial

INSTALL_HINT = "pip install 'guildlike[optimize]'"
MAX_STARTUP_TRIALS = 10


def check_available() -> None:
    """Raise a clear error when Optuna, the optional extra, is missing."""
    try:
        import optuna  # noqa: F401  # lazy: optional extra (guildlike[optimize])
    except ImportError:
        raise GuildlikeError(
            "the bayesian optimizer needs Optuna, which is not installed",
            [f"Install it with: {INSTALL_HINT}"],
        ) from None


# ---------------------------------------------------------------- search


def _distribution(name: str, val: Any, is_int: bool) -> Any:
    from optuna import distributions as d  # lazy: optional extra (guildlike[optimize])

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
        import optuna  # lazy: optional extra (guildlike[optimize])

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
        import optuna  # lazy: optional extra (guildlike[optimize])

        if value is None:
            self.study.tell(handle, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(handle, value)

    def add(self, flags: dict[str, Any], value: float) -> bool:
        """Tell the study of a trial run earlier; False when its values do not fit the search."""
        import optuna  # lazy: optional extra (guildlike[optimize])

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


def _warm_start(runner: Runner, batch: Run, base: OpDef, search: Search, best: Best) -> int:
    """Tell ``search`` the results of earlier trials that ran the batch's current source."""
    digest = batch.get("sourcecode_digest") or ""
    n = 0
    for run in linked_trials(runner.ctx, batch):
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


Job = tuple[int, dict[str, Any], Run | None, Any]  # (trial index, flags, run if made, Optuna handle)


class _SearchRound:
    """One round of a search: its trials run (several side by side), each result told to the study."""

    def __init__(self, runner: Runner, batch: Run, base: OpDef, opts: RunOptions, best: Best,
                 search: Search, records: TrialRecords, total: int) -> None:
        self.runner, self.batch, self.base, self.opts = runner, batch, base, opts
        self.best, self.search, self.records, self.total = best, search, records, total
        self._lock = threading.Lock()
        self._missing_noted = False

    def trial(self, job: Job) -> int:
        i, tflags, trun, handle = job
        if trun is None:
            trun = new_trial(self.runner, self.batch, self.base, tflags, self.opts)
            self.records.set_run(i, trun.id)
        self.best.started()
        self.runner.ctx.ui.progress(self.best.progress(i + 1, self.total))
        code = run_trial(self.runner, self.batch, self.base, trun, tflags, self.opts)
        val = self.best.add(trun) if code == 0 else None
        self.best.ended(code)
        if self.best.side_by_side:
            self.runner.ctx.ui.progress(self.best.progress(i + 1, self.total))
        with self._lock:
            if code == 0 and val is None and not self._missing_noted:
                self._missing_noted = True
                self.runner.ctx.ui.info(
                    f"Trial {trun.id} logged no scalar '{self.best.objective.scalar}': "
                    "the optimizer cannot learn from it"
                )
            if handle is None:
                if val is not None:
                    self.search.add(tflags, val)
            else:
                self.search.tell(handle, val)
        return code

    def ask(self) -> Job:
        """A new trial from the study, recorded before it runs."""
        with self._lock:
            handle, tflags = self.search.ask()
        tflags = check_trials(self.base, [tflags], self.opts)[0]
        return (self.records.add(tflags), tflags, None, handle)


def _keep_in_flight(runner: Runner, rnd: _SearchRound, max_trials: int, par: int) -> list[int]:
    """Ask for a trial whenever one of ``par`` slots frees (the study knows every result
    that came in), until ``max_trials`` are recorded; the trials' exit statuses."""
    codes: list[int] = []
    if par <= 1:
        while len(rnd.records) < max_trials:
            codes.append(rnd.trial(rnd.ask()))
        return codes
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait  # lazy: start-up speed

    with ThreadPoolExecutor(max_workers=par) as pool:
        going: set[Future[int]] = set()
        try:
            while going or len(rnd.records) < max_trials:
                while len(going) < par and len(rnd.records) < max_trials:
                    going.add(pool.submit(rnd.trial, rnd.ask()))
                done, going = wait(going, return_when=FIRST_COMPLETED)
                codes += [f.result() for f in done]
        except Interrupted as e:  # signals reach this (main) thread only: stop the trials in flight
            runner.interrupt(e.signum)
            raise
    return codes


def run(
    runner: Runner,
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
    check_available()
    spec = bop.batch or {}
    max_trials = int(spec.get("max_trials") or trialsmod.DEFAULT_MAX_TRIALS)
    par = max(1, opts.max_parallel)
    best = Best(objective_for(base, spec), side_by_side=par > 1)
    planned = [] if fresh else existing_trials(runner.ctx, batch)
    # Going on with a search: a seed of its own, so as not to draw its first values again.
    search = Search(base, flags, best.objective, int(spec["random_seed"]) + len(planned), max_trials)
    warm = _warm_start(runner, batch, base, search, best)
    if warm:
        runner.ctx.ui.info(f"Warm-starting the search from {warm} earlier trial(s)")
    records = TrialRecords(batch, planned)
    rnd = _SearchRound(runner, batch, base, opts, best, search, records, max(len(planned), max_trials))
    for _ in range(sum(1 for _, r in planned if r is not None and r.status == status.COMPLETED)):
        best.ended(None)
    again: list[Job] = [
        (i, f, r, None) for i, (f, r) in enumerate(planned) if r is None or r.status != status.COMPLETED
    ]
    codes: list[int] = []
    try:
        codes += run_parallel(runner, again, rnd.trial, par)
        codes += _keep_in_flight(runner, rnd, max_trials, par)
    finally:
        records.flush()
    return [c for c in codes if c]
