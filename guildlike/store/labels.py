"""Default run labels, as Guild builds them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..util.yamlutil import encode_value

_FLOAT_DIGITS = re.compile(r"^(-?\d+)\.(\d+)(.*)$")
_REF = re.compile(r"\$\{([^}]+)\}")


def label_value(val: Any) -> str:
    """A flag value in a label: floats are cut after the fifth decimal digit."""
    s = encode_value(val)
    if isinstance(val, float) and not isinstance(val, bool):
        m = _FLOAT_DIGITS.match(s)
        if m:
            whole, frac, rest = m.groups()
            s = f"{whole}.{frac[:5]}{rest}"
    return s


def default_label(flags: Mapping[str, Any]) -> str:
    return " ".join(f"{name}={label_value(flags[name])}" for name in sorted(flags) if flags[name] is not None)


def render_template(template: str, flags: Mapping[str, Any]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "default_label":
            return default_label(flags)
        if name in flags:
            return label_value(flags[name])
        return m.group(0)

    return _REF.sub(repl, template)


def run_label(
    flags: Mapping[str, Any], template: str | None = None, tags: Iterable[str] = ()
) -> str:
    if template is not None:
        return render_template(template, flags)
    parts = list(tags)
    base = default_label(flags)
    if base:
        parts.append(base)
    return " ".join(parts)
