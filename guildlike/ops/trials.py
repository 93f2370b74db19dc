"""Generating batch trials: grids, random search and trial files.

Grid order: flags in name order, the last one varying fastest. A range
(``[lo:hi]``, ``uniform``, ``loguniform``, ``randint``, ``normal``) makes a
random search of ``max_trials`` trials; list values then act as choices.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path
from typing import Any

from ..errors import FlagError, UsageError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..util import yamlutil

DEFAULT_MAX_TRIALS = 20

# -o NAME -> the batch kind (and the batch op's suffix, OP+KIND)
OPTIMIZERS = {"random": "random", "bayesian": "bayesian", "tpe": "bayesian"}


def kind(flags: dict[str, Any], optimizer: str | None) -> str:
    """``grid``, ``random`` or ``bayesian``."""
    if optimizer:
        found = OPTIMIZERS.get(optimizer.strip().lower())
        if found is None:
            raise UsageError(
                f"unknown optimizer '{optimizer}'",
                ["Supported optimizers: random, bayesian (alias tpe)."],
            )
        return found
    if any(isinstance(v, flagsmod.SearchSpace) for v in flags.values()):
        return "random"
    return "grid"


def int_flags(base: OpDef) -> set[str]:
    """Names of the flags of type ``int``: their sampled values are whole numbers."""
    return {n for n, fd in base.flags.items() if fd.type == "int"}


def typed_spaces(base: OpDef, flags: dict[str, Any]) -> dict[str, Any]:
    """``flags`` with each range fitted to its flag's type.

    A range written with integer bounds (``lr=[0:1]``) on a ``float`` flag
    is searched over floats, not over the integers 0 and 1; a range on an
    ``int`` flag over the whole numbers inside it.
    """
    out = dict(flags)
    ints = int_flags(base)
    for name, val in flags.items():
        fd = base.flags.get(name)
        if not isinstance(val, flagsmod.SearchSpace) or fd is None or val.func == "normal":
            continue
        if fd.type == "float" and val.func != "randint":
            out[name] = flagsmod.SearchSpace(val.func, float(val.lo), float(val.hi), val.written)
        elif name in ints:
            lo, hi = math.ceil(val.lo), math.floor(val.hi)
            if lo > hi:
                raise FlagError(f"invalid value {val} for {name}: no whole number in the range")
            out[name] = flagsmod.SearchSpace(val.func, lo, hi, val.written)
    return out


def decode_spaces(base: OpDef, flags: dict[str, Any]) -> dict[str, Any]:
    """Ranges as a batch run stores them (``'[-2.0:2.0]'``) read back as ranges."""
    out = dict(flags)
    for name, val in flags.items():
        fd = base.flags.get(name)
        if not isinstance(val, str) or (fd is not None and fd.type in ("string", "str", "path")):
            continue
        try:
            decoded = flagsmod.decode_arg(val)
        except FlagError:
            continue
        if isinstance(decoded, flagsmod.SearchSpace):
            out[name] = decoded
    return out


def grid(flags: dict[str, Any], max_trials: int | None = None) -> list[dict[str, Any]]:
    names = sorted(flags)
    axes = [flags[n] if isinstance(flags[n], list) else [flags[n]] for n in names]
    total = math.prod(len(a) for a in axes)
    if total > 1_000_000 and not max_trials:
        raise FlagError(f"grid of {total} trials is too large (use --max-trials to run a part of it)")
    out = []
    for combo in itertools.product(*axes):
        out.append(dict(zip(names, combo, strict=True)))
        if max_trials and len(out) >= max_trials:
            break
    return out


def sample_value(space: flagsmod.SearchSpace, rng: random.Random) -> Any:
    lo, hi = space.lo, space.hi
    if space.func == "loguniform":
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if space.func == "normal":
        return rng.gauss(lo, hi)
    if space.func == "randint" or (isinstance(lo, int) and isinstance(hi, int) and space.func == "uniform"):
        return rng.randint(int(lo), int(hi))
    return rng.uniform(float(lo), float(hi))


def random_trials(
    flags: dict[str, Any], max_trials: int | None, seed: int, ints: set[str] | None = None
) -> list[dict[str, Any]]:
    """``max_trials`` trials (default 20) drawn with ``random.Random(seed)``.

    Values drawn for the flags in ``ints`` are rounded to whole numbers.
    """
    rng = random.Random(seed)
    n = max_trials or DEFAULT_MAX_TRIALS
    out = []
    for _ in range(n):
        trial = {}
        for name in sorted(flags):
            val = flags[name]
            if isinstance(val, flagsmod.SearchSpace):
                trial[name] = sample_value(val, rng)
                if ints and name in ints:
                    trial[name] = round(trial[name])
            elif isinstance(val, list):
                trial[name] = rng.choice(val)
            else:
                trial[name] = val
        out.append(trial)
    return out


def read_file(path: Path) -> list[dict[str, Any]]:
    """Trials from a CSV (header row of flag names), JSON or YAML list of mappings."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise FlagError(f"cannot read trials file {path}: {e.strerror}") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import csv  # lazy: start-up speed; only a CSV trials file needs it

        reader = csv.reader(text.splitlines())
        rows = [r for r in reader if r]
        if not rows:
            return []
        header = [h.strip() for h in rows[0]]
        return [{h: yamlutil.decode_scalar(v.strip()) for h, v in zip(header, r, strict=False)} for r in rows[1:]]
    try:
        data = json.loads(text) if suffix == ".json" else yamlutil.load(text)
    except Exception as e:
        raise FlagError(f"cannot read trials file {path}: {str(e).splitlines()[0]}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise FlagError(f"invalid trials file {path}: expected a list of flag mappings")
    return [dict(d) for d in data]
