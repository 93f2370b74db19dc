"""What a search optimizes: the objective scalar, and the best value so far.

The objective is, in order: ``--maximize``/``--minimize``, the operation's
``objective:`` (a scalar name, ``{minimize: NAME}`` or ``{maximize: NAME}``),
else ``loss`` minimized.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import GuildfileError
from ..guildfile.opdef import OpDef
from ..store.run import Run
from . import scalars


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
    """The best objective value among the trials that completed, and how many
    trials run, completed and failed (thread safe): a batch's progress line."""

    def __init__(self, objective: Objective, side_by_side: bool = False) -> None:
        self.objective = objective
        self.value: float | None = None
        self.side_by_side = side_by_side  # trials run side by side: the line counts them
        self.running = self.done = self.failed = 0
        self._lock = threading.Lock()

    def started(self) -> None:
        with self._lock:
            self.running += 1

    def ended(self, code: int | None) -> None:
        """A trial has ended with ``code`` (None: it had completed before the batch ran)."""
        with self._lock:
            if code is not None:
                self.running -= 1
            if code:
                self.failed += 1
            else:
                self.done += 1

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
        """``trial 3 of 20, best loss 0.0123 so far`` (the best part once known); trials
        side by side: ``20 trials: 4 running, 2 done, 1 failed, 13 queued, best ...``."""
        text = f"trial {i} of {total}"
        if self.side_by_side:
            queued = max(0, total - self.running - self.done - self.failed)
            text = f"{total} trials: {self.running} running, {self.done} done, {self.failed} failed, {queued} queued"
        if self.value is not None:
            text += f", best {self.objective.scalar} {self.value:.6g} so far"
        return text
