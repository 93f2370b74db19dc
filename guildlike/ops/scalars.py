"""Scalars from a run's output (``loss: 0.25``), stored in ``.guild/scalars.json``.

Without ``output-scalars`` a line ``KEY: NUMBER`` is a scalar (optionally
followed by ``(step N)``); ``step: N`` sets the step of what follows.
``output-scalars`` may map names to patterns with one group, be a list of
patterns with named groups, or be ``no``. ``\\value``, ``\\key`` and ``\\step``
are shorthands inside patterns.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ..errors import GuildfileError
from ..util.files import atomic_write

VALUE = r"[-+]?(?:[0-9]+\.?[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|nan|NaN|inf|Inf|-inf)"
KEY = r"[A-Za-z_][^\s:]*"
STEP = r"[0-9]+"

_DEFAULT = re.compile(rf"^\s*({KEY}):\s+({VALUE})\s*(?:\((?:step\s+)?({STEP})\))?\s*$")


def _expand(pattern: str) -> str:
    return pattern.replace(r"\value", VALUE).replace(r"\key", KEY).replace(r"\step", STEP)


def _compile(spec: Any) -> list[tuple[str | None, re.Pattern[str]]] | None:
    if spec is None or spec is True:
        return None
    if spec is False or spec == "no":
        return []
    try:
        if isinstance(spec, dict):
            return [(str(k), re.compile(_expand(str(v)))) for k, v in spec.items()]
        if isinstance(spec, list):
            out: list[tuple[str | None, re.Pattern[str]]] = []
            for item in spec:
                if isinstance(item, dict):
                    out.extend((str(k), re.compile(_expand(str(v)))) for k, v in item.items())
                else:
                    out.append((None, re.compile(_expand(str(item)))))
            return out
    except re.error as e:
        raise GuildfileError(f"invalid output-scalars pattern: {e}") from None
    raise GuildfileError("invalid output-scalars: expected no, a mapping or a list of patterns")


def _num(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v


def parse_lines(lines: list[str], spec: Any) -> dict[str, dict[str, Any]]:
    """``{key: {"last": v, "step": s, "min": .., "max": .., "count": n}}``."""
    patterns = _compile(spec)
    out: dict[str, dict[str, Any]] = {}
    step = 0

    def record(key: str, val: float, at: int) -> None:
        s = out.get(key)
        if s is None:
            out[key] = {"last": val, "step": at, "min": val, "max": val, "first": val, "count": 1}
            return
        s["last"], s["step"], s["count"] = val, at, s["count"] + 1
        if not math.isnan(val):
            s["min"] = val if math.isnan(s["min"]) else min(s["min"], val)
            s["max"] = val if math.isnan(s["max"]) else max(s["max"], val)

    for line in lines:
        if patterns is None:
            m = _DEFAULT.match(line)
            if not m:
                continue
            key, sval, sstep = m.groups()
            val = _num(sval)
            if val is None:
                continue
            if key == "step":
                step = int(val)
                continue
            record(key, val, int(sstep) if sstep else step)
            continue
        for name, rx in patterns:
            m = rx.search(line)
            if not m:
                continue
            groups = m.groupdict()
            if name is not None:
                val = _num(m.group(1) if m.groups() else m.group(0))
                if val is not None:
                    record(name, val, step)
            elif groups:
                key = groups.get("key")
                if key and groups.get("value") is not None:
                    val = _num(groups["value"])
                    if val is not None:
                        record(key, val, int(groups.get("step") or step))
                else:
                    for k, v in groups.items():
                        if k not in ("step",) and v is not None and _num(v) is not None:
                            record(k, float(v), int(groups.get("step") or step))
    return out


def scalars_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / "scalars.json"


def capture(run_dir: Path, spec: Any) -> dict[str, dict[str, Any]]:
    try:
        text = (run_dir / ".guild" / "output").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    scalars = parse_lines(text.splitlines(), spec)
    atomic_write(scalars_path(run_dir), json.dumps(scalars, sort_keys=True))
    return scalars


def read(run_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        data: dict[str, dict[str, Any]] = json.loads(scalars_path(run_dir).read_text())
        return data
    except (OSError, ValueError):
        return {}
