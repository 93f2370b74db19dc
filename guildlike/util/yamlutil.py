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


# Bounds on a document as it would be expanded: aliases share one node, so a
# few hundred bytes of nested aliases can stand for billions of nodes.
MAX_NODES = 100_000
MAX_DEPTH = 100


def load(text: str) -> Any:
    """Parse a YAML document; a plain integer takes a fast path.

    A document that expands (aliases counted each time they are used) to
    more than ``MAX_NODES`` nodes, nests deeper than ``MAX_DEPTH`` or uses
    an alias inside itself raises the YAML error type with a one-line reason.
    """
    text = str(text)  # the C parser takes no str subclasses
    s = text.strip()
    if _INT_RE.match(s):
        return int(s)
    yaml = _yaml()
    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text or len(text) > MAX_DEPTH:
            _check_bounds(node, yaml.YAMLError)
        return loader.construct_document(node)
    except RecursionError:
        raise yaml.YAMLError("document is nested too deeply") from None
    finally:
        loader.dispose()


def _children(node: Any) -> list[Any]:
    val = node.value
    if not isinstance(val, list):
        return []  # a scalar
    out: list[Any] = []
    for item in val:
        out.extend(item if isinstance(item, tuple) else (item,))
    return out


def _check_bounds(root: Any, error: type[Exception]) -> None:
    """Raise ``error`` when the expanded document passes the bounds (no recursion)."""
    done: dict[int, tuple[int, int]] = {}  # node id -> (expanded size, depth)
    open_: set[int] = set()  # the nodes being measured: the current one's ancestors
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finishing = stack.pop()
        key = id(node)
        if finishing:
            kids = [done[id(k)] for k in _children(node)]
            size = 1 + sum(k[0] for k in kids)
            depth = 1 + max((k[1] for k in kids), default=0)
            if size > MAX_NODES:
                raise error(f"document expands to more than {MAX_NODES:,} nodes (too many aliases)")
            if depth > MAX_DEPTH:
                raise error(f"document is nested more than {MAX_DEPTH} levels deep")
            done[key] = (size, depth)
            open_.discard(key)
            continue
        if key in done:
            continue
        open_.add(key)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in open_:
                raise error("an alias refers to the node that contains it")
            if id(kid) not in done:
                stack.append((kid, False))


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
