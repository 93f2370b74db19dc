"""Values as JSON: NaN is null and infinities are the strings ``inf``/``-inf``
(JSON has neither), anything else unknown is its text."""

from __future__ import annotations

import json
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with every float made valid JSON and every container made a list or a dict."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return str(value)


def _default(value: Any) -> Any:
    return list(value) if isinstance(value, (set, frozenset)) else str(value)


def dumps(value: Any) -> bytes:
    """``value`` as compact JSON; converted by ``jsonable`` only when it holds NaN or an infinity."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"), default=_default)
    except ValueError:
        text = json.dumps(jsonable(value), allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")
