"""Flag values: parsing ``NAME=VALUE`` arguments, types, choices and ranges.

A value on the command line is read like a YAML scalar (``yes`` -> True,
``1`` -> 1). A list (``[a,b]``) asks for a grid batch; a range
(``[lo:hi]`` or ``uniform[lo:hi]``, ``loguniform[lo:hi]``) for a search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import FlagError
from ..util.yamlutil import decode_scalar, encode_value
from . import deps
from .opdef import FlagDef, OpDef

_NAME_RE = re.compile(r"^[A-Za-z_][\w.\-]*$")
_RANGE_RE = re.compile(r"^([a-z_]*)\[\s*([^:\[\],]+)\s*:\s*([^:\[\],]+)\s*(?::\s*([^:\[\],]+)\s*)?\]$")

SEARCH_FUNCS = ("uniform", "loguniform", "randint", "normal")
MAX_GRID_VALUES = 100_000


@dataclass(frozen=True)
class SearchSpace:
    """A flag's search range: ``[lo:hi]`` or ``FUNC[lo:hi]``."""

    func: str  # "uniform" when written as a bare range
    lo: Any
    hi: Any
    written: str

    def __str__(self) -> str:
        return self.written


STRING_TYPES = ("string", "str", "path", "existing-path")


class ArgText(str):
    """A flag value as written on the command line, not decoded yet."""


def decode_text(fd: FlagDef | None, text: str) -> Any:
    """Decode command-line text; a string flag keeps its text as written
    (``note=1.50`` stays ``'1.50'``) unless it is a list or a range."""
    s = str(text)
    if fd is not None and fd.type in STRING_TYPES:
        stripped = s.strip()
        if not (stripped.endswith("]") and ("[" in stripped)):
            return s
    return decode_arg(s)


def split_assigns(args: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; anything else is an error."""
    bad = [a for a in args if "=" not in a or not a.split("=", 1)[0]]
    if bad:
        raise FlagError("invalid argument(s):", bad + ["expected NAME=VAL"])
    out: dict[str, str] = {}
    for a in args:
        name, val = a.split("=", 1)
        out[name] = val
    return out


def decode_arg(raw: str) -> Any:
    """A command-line value: a scalar, a list (grid) or a ``SearchSpace``."""
    s = raw.strip()
    m = _RANGE_RE.match(s)
    if m:
        func = m.group(1) or "uniform"
        if func not in SEARCH_FUNCS:
            raise FlagError(
                f"invalid value {raw}: unknown search function '{func}' "
                f"(use one of: {', '.join(SEARCH_FUNCS)})"
            )
        lo, hi = decode_scalar(m.group(2)), decode_scalar(m.group(3))
        for v in (lo, hi):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise FlagError(f"invalid value {raw}: range bounds must be numbers")
        if lo > hi:
            raise FlagError(f"invalid value {raw}: min {lo} is greater than max {hi}")
        if func == "loguniform" and lo <= 0:
            raise FlagError(f"invalid value {raw}: loguniform needs bounds greater than 0")
        return SearchSpace(func, lo, hi, s)
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        if not inner:
            raise FlagError(f"invalid value {raw}: empty list")
        items = [decode_scalar(part.strip()) for part in _split_list(inner)]
        if len(items) > MAX_GRID_VALUES:
            raise FlagError(f"invalid value: list of {len(items)} values is too long (max {MAX_GRID_VALUES})")
        return items
    return decode_scalar(raw)


def _split_list(inner: str) -> list[str]:
    parts: list[str] = []
    buf = ""
    quote = ""
    for ch in inner:
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf += ch
        elif ch == ",":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return parts


def _type_error(raw: Any, name: str, ftype: str) -> FlagError:
    return FlagError(f"invalid value {raw} for {name}: invalid value for type '{ftype}'")


def _raw(val: Any) -> str:
    return val if isinstance(val, str) else encode_value(val)


def coerce(fd: FlagDef | None, name: str, val: Any) -> Any:
    """``val`` converted to the flag's type, or a ``FlagError``."""
    if fd is None or val is None:
        return val
    t = fd.type
    if t is None and fd.imported:
        t = _imported_type(fd.default)
    if t in ("int",):
        if isinstance(val, bool) or not isinstance(val, int):
            raise _type_error(_raw(val), name, "int")
        val = int(val)
    elif t == "float":
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise _type_error(_raw(val), name, "float")
        val = float(val)
    elif t == "number":
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise _type_error(_raw(val), name, "number")
    elif t in ("boolean", "bool"):
        if isinstance(val, bool):
            pass
        elif val in (0, 1) and isinstance(val, int):
            val = bool(val)
        else:
            raise _type_error(_raw(val), name, "boolean")
    elif t in ("string", "str", "path", "existing-path"):
        val = _raw(val)
    _check_choices(fd, name, val)
    _check_range(fd, name, val)
    return val


def _imported_type(default: Any) -> str | None:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, (int, float)):
        return "number"
    if isinstance(default, str):
        return "string"
    return None


def _check_choices(fd: FlagDef, name: str, val: Any) -> None:
    if not fd.choices:
        return
    choices = [c.get("value") if isinstance(c, dict) else c for c in fd.choices]
    if val in choices or _raw(val) in [_raw(c) for c in choices]:
        return
    width = max(len(_raw(c)) for c in choices)
    lines = [""] + [f"  {_raw(c).ljust(width)}" for c in choices]
    lines += ["", "Run the command again using one of these options."]
    raise FlagError(f"Unsupported value for '{name}' - supported values are:", lines, prefix=False)


def _check_range(fd: FlagDef, name: str, val: Any) -> None:
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        return
    if fd.min is not None and val < fd.min:
        raise FlagError(f"invalid value {_raw(val)} for {name}: out of range (less than min {fd.min})")
    if fd.max is not None and val > fd.max:
        raise FlagError(f"invalid value {_raw(val)} for {name}: out of range (greater than max {fd.max})")


def unsupported_flag(name: str, opdef: OpDef) -> FlagError:
    return FlagError(
        f"unsupported flag '{name}'",
        [
            f"Try 'guildlike run {opdef.full_name} --help-op' for a list of flags "
            "or use --force-flags to skip this check."
        ],
    )


def resolve(
    opdef: OpDef,
    given: Mapping[str, Any],
    base: Mapping[str, Any] | None = None,
    force_flags: bool = False,
) -> dict[str, Any]:
    """The run's flag values: ``base`` (defaults) updated by ``given``.

    Values in ``given`` are typed values or ``ArgText`` (text from the
    command line, decoded here knowing the flag's type); each element of a
    list and each bound of a range is checked against the flag's type.
    """
    flags: dict[str, Any] = dict(opdef.flag_defaults() if base is None else base)
    aliases = deps.flag_aliases(opdef) if opdef.requires else {}
    for name, val in given.items():
        fd = opdef.flags.get(name)
        if fd is None and name in aliases:
            flags[aliases[name]] = str(val)  # a run id (or its start), chosen for a requires
            continue
        if fd is None and not force_flags:
            raise unsupported_flag(name, opdef)
        if isinstance(val, ArgText):
            val = decode_text(fd, val)
        if not _NAME_RE.match(name):
            raise FlagError(f"invalid flag name '{name}'")
        if isinstance(val, list):
            flags[name] = [coerce(fd, name, v) for v in val]
        elif isinstance(val, SearchSpace):
            if fd is not None and (fd.type in ("string", "str", "boolean", "bool") or fd.choices):
                raise FlagError(f"invalid value {val} for {name}: a range needs a numeric flag")
            flags[name] = val
        else:
            flags[name] = coerce(fd, name, val)
    for name, fd in opdef.flags.items():
        if fd.required and flags.get(name) is None:
            raise FlagError(f"missing required flag '{name}'", [f"Specify a value using {name}=VALUE."])
    return flags


def user_flags(opdef: OpDef, given: Mapping[str, Any], flags: Mapping[str, Any]) -> dict[str, Any]:
    """The flags as the user gave them: the resolved value of each, a requires
    choice as typed (``prep: a198190c``)."""
    aliases = deps.flag_aliases(opdef) if opdef.requires else {}
    out: dict[str, Any] = {}
    for name, val in given.items():
        if name not in opdef.flags and name in aliases:
            out[name] = str(val)
        elif not is_batch_value(flags.get(name)) and not isinstance(flags.get(name), SearchSpace):
            out[name] = flags.get(name)
    return out


def is_batch_value(val: Any) -> bool:
    return isinstance(val, (list, SearchSpace))
