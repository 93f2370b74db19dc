"""The column language of ``compare`` (``-c``, ``-cc`` and an operation's ``compare:``).

Specs are separated by commas; each is one of::

    =FLAG                  a flag value               (header FLAG)
    .ATTR                  a run attribute            (header ATTR)
    [QUAL] [STEP#]KEY      a scalar summary           (header [STEP#]KEY)
    [QUAL] [STEP#]KEY step the step of its last value (header [STEP#]KEY step)

each optionally followed by ``as NAME`` (the header). QUAL is one of
``first``, ``last`` (the default), ``min``, ``max``, ``avg``, ``total`` and
``count``. ``STEP#KEY`` is scalar KEY of the run linked as step ``STEP`` of a
pipeline (Guild's ``STEP/.guild#KEY`` is read the same way). Empty specs
between commas are ignored. Anything else raises ``ColumnSpecError``: one
line naming the spec and what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ColumnSpecError

QUALIFIERS = ("first", "last", "min", "max", "avg", "total", "count")
FLAG, ATTR, SCALAR = "flag", "attr", "scalar"
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_GUILD_STEP_SUFFIX = "/.guild"


@dataclass(frozen=True)
class Column:
    kind: str  # FLAG, ATTR or SCALAR
    name: str  # flag, attribute or scalar key
    qualifier: str = "last"
    step: str | None = None  # a pipeline step's link name, for a step's scalar
    want_step: bool = False  # the step of the last value, not a value
    alias: str | None = None

    @property
    def header(self) -> str:
        if self.alias:
            return self.alias
        if self.kind != SCALAR:
            return self.name
        key = f"{self.step}#{self.name}" if self.step else self.name
        return f"{key} step" if self.want_step else key


def _bad(spec: str, why: str) -> ColumnSpecError:
    return ColumnSpecError(spec.strip(), why)


def _scalar(spec: str, ref: str, qualifier: str, want_step: bool, alias: str | None) -> Column:
    step: str | None = None
    key = ref
    if "#" in ref:
        step, _, key = ref.partition("#")
        if step.endswith(_GUILD_STEP_SUFFIX):
            step = step[: -len(_GUILD_STEP_SUFFIX)]
        if not step:
            raise _bad(spec, "expected a step name before '#'")
        if not key:
            raise _bad(spec, "expected a scalar name after '#'")
    if key[0] in "=.":
        raise _bad(spec, f"'{qualifier}' applies to scalars, not to flags or attributes")
    return Column(SCALAR, key, qualifier, step, want_step, alias)


def _one(spec: str) -> Column | None:
    words = spec.split()
    if not words:
        return None
    alias: str | None = None
    if "as" in words[:-1] or words[-1] == "as":
        i = words.index("as")
        if i == 0:
            raise _bad(spec, "expected a column before 'as'")
        if len(words) != i + 2:
            raise _bad(spec, "expected one name after 'as'")
        alias, words = words[i + 1], words[:i]
    first = words[0]
    if first.startswith("="):
        if len(words) > 1 or len(first) == 1:
            raise _bad(spec, "expected '=FLAG'")
        return Column(FLAG, first[1:], alias=alias)
    if first.startswith("."):
        if len(words) > 1 or not _ATTR_NAME.match(first[1:]):
            raise _bad(spec, "expected '.ATTR' (letters, digits, '_' and '-')")
        return Column(ATTR, first[1:], alias=alias)
    qualifier = "last"
    if first in QUALIFIERS and len(words) > 1:
        qualifier, words = first, words[1:]
    want_step = len(words) == 2 and words[1] == "step"
    if len(words) > (2 if want_step else 1):
        raise _bad(spec, f"unexpected '{words[-1]}'")
    if want_step and qualifier != "last":
        raise _bad(spec, "'step' is the step of the last value: no qualifier")
    return _scalar(spec, words[0], qualifier, want_step, alias)


def parse(text: str) -> list[Column]:
    """Columns for a comma-separated list of specs, in order (see the module doc)."""
    out: list[Column] = []
    for spec in text.split(","):
        col = _one(spec)
        if col is not None:
            out.append(col)
    return out


def parse_all(texts: list[str] | tuple[str, ...]) -> list[Column]:
    out: list[Column] = []
    for text in texts:
        out.extend(parse(text))
    return out


def merge(columns: list[Column]) -> list[Column]:
    """Columns with one per header: the first with a header wins."""
    seen: set[str] = set()
    out: list[Column] = []
    for col in columns:
        if col.header not in seen:
            seen.add(col.header)
            out.append(col)
    return out
