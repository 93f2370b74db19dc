"""Property tests of ``compare``: any column text parses to columns or gives a
one-line ``ColumnSpecError``; any mix of cell values sorts, and the sort order
is the documented one (numbers, then NaN, then text, then missing)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from guildlike.cli import compare_fmt
from guildlike.errors import ColumnSpecError
from guildlike.ops import columns
from guildlike.ops.compare import sort_key

from test_properties import cfg

_pieces = st.sampled_from(
    ["=", ".", "#", ",", " ", "as", "step", "min", "max", "first", "last", "avg", "total", "count", "loss",
     "val/acc", "fit/.guild", "lr", "x y", "\t", "\n", "é", "-", "_", "/", "'", '"', "\x1b", ""]
)
column_text = st.one_of(st.text(max_size=40), st.lists(_pieces, max_size=10).map(" ".join),
                        st.lists(_pieces, max_size=10).map("".join))


@cfg(500)
@given(column_text)
@example("min loss step")
@example("loss as")
@example("=lr as")
@example("fit/.guild#")
def test_any_text_parses_or_fails_in_one_line(text: str) -> None:
    try:
        cols = columns.parse(text)
    except ColumnSpecError as e:
        assert "\n" not in e.message.replace(e.spec, "")
        assert e.message.startswith("invalid column spec '")
        return
    for col in cols:
        assert col.kind in (columns.FLAG, columns.ATTR, columns.SCALAR)
        assert col.header
        assert col.qualifier in columns.QUALIFIERS
        if col.kind == columns.ATTR:
            assert "/" not in col.name and not col.name.startswith(".")


cells = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                  st.text(max_size=5))


def _rank(value: Any) -> int:
    if value is None:
        return 3
    if isinstance(value, str):
        return 2
    return 1 if isinstance(value, float) and math.isnan(value) else 0


@cfg(500)
@given(st.lists(cells, max_size=30), st.booleans())
def test_any_cells_sort_in_the_documented_order(values: list[Any], descending: bool) -> None:
    ordered = sorted(values, key=lambda v: sort_key(v, descending))
    ranks = [_rank(v) for v in ordered]
    assert ranks == sorted(ranks)
    numbers = [float(v) for v in ordered if _rank(v) == 0]
    assert numbers == sorted(numbers, reverse=descending)
    for v in values:  # every cell formats in every format
        compare_fmt.table_cell(v)
        compare_fmt.csv_cell(v)
        compare_fmt.json_cell(v)
