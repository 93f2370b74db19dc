"""``compare`` tables as text, CSV, JSON and Markdown (pure functions, no printing).

Lines of the table have no trailing spaces. Cells: missing and NaN are empty in the table, CSV and Markdown; the table
and Markdown show floats cut (not rounded) after 6 decimals, booleans as
``yes``/``no`` and infinities as ``.inf``/``-.inf``; CSV keeps full values,
``True``/``False`` and ``inf``/``-inf``. JSON is a list of objects, one per
row, keys in column order: missing values are ``null``, NaN and infinities
the strings ``"nan"``, ``"inf"`` and ``"-inf"`` (JSON has no such numbers).
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from ..util.text import escape_text
from . import rows as rowsmod

DECIMALS = 6


def _cut(value: float) -> str:
    text = repr(value)
    if "e" in text or "." not in text:
        return text
    whole, frac = text.split(".")
    return text if len(frac) <= DECIMALS else f"{whole}.{frac[:DECIMALS]}"


def table_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return _cut(value)
    return str(value)


def csv_cell(value: Any) -> str:
    if value is None or isinstance(value, float) and math.isnan(value):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def json_cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def table_lines(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return []
    lines = rowsmod.table([headers] + [[table_cell(v) for v in r] for r in rows])
    return [line.rstrip() for line in lines]  # an empty last cell leaves no trailing spaces


def csv_text(headers: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    # As csv_cell, faster: the writer leaves None empty and writes floats as repr does.
    writer.writerows([["" if v != v else v for v in r] for r in rows])  # v != v: NaN
    return buf.getvalue()


def json_text(headers: list[str], rows: list[list[Any]]) -> str:
    docs = [{h: json_cell(v) for h, v in zip(headers, r, strict=True)} for r in rows]
    return json.dumps(docs, indent=2)


def _md(text: str) -> str:
    return escape_text(text).replace("|", "\\|")


def md_lines(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return []
    out = ["| " + " | ".join(_md(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_md(table_cell(v)) for v in r) + " |" for r in rows]
    return out
