"""Options of ``run`` that travel from the CLI through pipelines and batches."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass
class RunOptions:
    label: str | None = None
    tags: list[str] = field(default_factory=list)
    run_id: str | None = None
    stage: bool = False
    needed: bool = False
    force_sourcecode: bool = False
    force_flags: bool = False
    # batches
    max_trials: int | None = None
    random_seed: int | None = None
    optimizer: str | None = None
    keep_batch: bool = False
    fail_on_trial_error: bool = False
    stage_trials: bool = False
    max_parallel: int = 1
    print_trials: bool = False
    minimize: str | None = None
    maximize: str | None = None
    batch_files: list[str] = field(default_factory=list)
    batch_label: str | None = None  # -bl: the batch run's own label (-l goes to each trial)
    batch_tags: list[str] = field(default_factory=list)  # -bt
    # set by a pipeline for its steps, by a batch for its trials
    parent_id: str | None = None
    candidates: list[str] | None = None  # run ids a step's requires may resolve to
    changed_runs: dict[str, str] | None = None  # step runs rerun with new output: id -> step
    user_flags: dict[str, Any] | None = None  # the flags as given (written as ``user_flags``)
    trigger: str = "run"
    force_structure: bool = False
    gpus: str | None = None  # CUDA_VISIBLE_DEVICES for the op's process ("" hides every GPU); None leaves it
    proto: str | None = None  # a run directory whose source snapshot a new run copies (--proto)

    def run_params(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("candidates", None)
        data.pop("changed_runs", None)
        data.pop("user_flags", None)
        return {k: v for k, v in data.items() if not (v is None or v is False or v == [] or v == "")}

    def for_child(self, **changes: Any) -> RunOptions:
        base = replace(
            self,
            label=None,
            tags=[],
            run_id=None,
            stage=False,
            needed=False,
            max_trials=None,
            random_seed=None,
            optimizer=None,
            print_trials=False,
            minimize=None,
            maximize=None,
            batch_files=[],
            batch_label=None,
            batch_tags=[],
            user_flags=None,
            proto=None,
        )
        return replace(base, **changes)
