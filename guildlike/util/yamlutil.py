"""YAML helpers: the C loader when present, and Guild's scalar conventions.

``yaml`` is imported lazily: a listing served from the index never pays for it.
"""

from __future__ import annotations

import re
from typing import Any

_INT_RE = re.compile(r"^[-+]?[0-9]+$")
# Floats YAML 1.1 reads as strings: an exponent without a point or sign (1e-6, 2E5, 1.5e3).
_EXP_FLOAT_RE = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")


def _yaml() -> Any:
    import yaml  # lazy: start-up speed, runs start without PyYAML

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dumper() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load(text: str) -> Any:
    """Parse a YAML document; a plain integer takes a fast path."""
    text = str(text)  # the C parser takes no str subclasses
    s = text.strip()
    if _INT_RE.match(s):
        return int(s)
    return _yaml().load(text, Loader=_loader())


def dump(value: Any) -> str:
    text: str = _yaml().dump(value, Dumper=_dumper(), default_flow_style=False, sort_keys=True)
    return text


def error_type() -> type[Exception]:
    err: type[Exception] = _yaml().YAMLError
    return err


_BOOLS = {
    w: val
    for words, val in ((("yes", "true", "on"), True), (("no", "false", "off"), False))
    for base in words
    for w in (base, base.capitalize(), base.upper())
}
_NULLS = {"null", "Null", "NULL", "~"}
_PLAIN_FLOAT_RE = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)$")
# Letters, digits and a few safe marks, not starting like a number or YAML syntax.
_PLAIN_WORD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
# Words YAML 1.1 reads as something else (.inf, .nan, sexagesimal, dates...).
_NEEDS_YAML_RE = re.compile(r"^(\.?(inf|nan|Inf|NaN|INF|NAN))$")


def decode_scalar(s: str) -> Any:
    """Decode a command-line value as a YAML scalar (``yes`` -> True, ``1`` -> 1).

    Values YAML cannot parse stay strings.
    """
    if s == "":
        return ""
    if _INT_RE.match(s):
        return int(s)
    if _EXP_FLOAT_RE.match(s) or _PLAIN_FLOAT_RE.match(s):
        return float(s)
    if s in _BOOLS:
        return _BOOLS[s]
    if _PLAIN_WORD_RE.match(s) and s not in _NULLS and not _NEEDS_YAML_RE.match(s):
        return s  # a plain word: no need to load the YAML parser
    try:
        val = load(s)
    except Exception:
        return s
    if isinstance(val, (dict,)) or val is None and s.strip() not in ("null", "~", "Null", "NULL"):
        return s
    if not isinstance(val, (bool, int, float, str, list, type(None))):
        return s  # a date or a time stays text: flag values are JSON-able
    if isinstance(val, int) and ":" in s:
        return s  # YAML 1.1 reads 12:30 as 750; keep what was written
    return val


def format_float(x: float) -> str:
    """Floats in YAML spelling: always a point, ``1.0e-06`` for exponents."""
    if x != x:
        return ".nan"
    if x in (float("inf"), float("-inf")):
        return ".inf" if x > 0 else "-.inf"
    s = repr(x)
    if "e" in s:
        mant, exp = s.split("e")
        if "." not in mant:
            mant += ".0"
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        return f"{mant}e{sign}{digits}"
    if "." not in s:
        s += ".0"
    return s


def needs_quotes(s: str) -> bool:
    """True when a string would not read back as the same string."""
    if s == "" or s != s.strip() or " " in s or "\n" in s:
        return True
    if _EXP_FLOAT_RE.match(s):
        return True
    if s[0] in "[]{}&*!|>'\"%@`#,?:-" and s not in ("-",):
        return s[0] != "-" or decode_scalar(s) != s
    try:
        val = load(s)
    except Exception:
        return True
    return not isinstance(val, str) or val != s


def encode_value(val: Any, bool_words: tuple[str, str] = ("yes", "no")) -> str:
    """A flag value as Guild shows it in labels and step arguments."""
    if isinstance(val, bool):
        return bool_words[0] if val else bool_words[1]
    if val is None:
        return "null"
    if isinstance(val, int):
        return str(val)
    if isinstance(val, float):
        return format_float(val)
    if isinstance(val, (list, tuple)):
        return "[" + ", ".join(encode_value(v, bool_words) for v in val) + "]"
    s = str(val)
    if needs_quotes(s):
        return "'" + s.replace("'", "''") + "'"
    return s
