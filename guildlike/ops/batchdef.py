"""What a batch is: its own operation (``OP+``, ``OP+random``, ``OP+bayesian``)
that records the trial operation, and the trials a grid, file or random
search generates."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..errors import GuildlikeError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from . import trials as trialsmod
from .options import RunOptions


def batch_opdef(opdef: OpDef, kind: str, opts: RunOptions, seed: int) -> OpDef:
    """The batch's own operation: ``opdef`` renamed, with the search recorded under ``batch``."""
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


def _file_trials(ctx: Context, files: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in files:
        out.extend(trialsmod.read_file(ctx.cwd / f))
    return out


def generate(ctx: Context, base: OpDef, batch_op: OpDef, flags: dict[str, Any]) -> list[dict[str, Any]]:
    """The trials of a grid, file or random batch (a model-based search asks for its own)."""
    spec = batch_op.batch or {}
    kind = spec["kind"]
    max_trials = spec.get("max_trials")
    if kind == "grid":
        if spec.get("batch_files"):
            out = []
            for row in _file_trials(ctx, spec["batch_files"]):
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
