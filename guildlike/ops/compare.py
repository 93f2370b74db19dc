"""``compare``: a table of runs, their flags and scalar summaries.

Cells come from ``compare_cells``: the summaries of every selected run are
read from the index at once, and the run index serves their flags and
times, so comparing finished runs opens no run folder (an operation's
``compare:`` is read once per operation, the ``op`` attribute only of runs
named as batches). Cells hold typed values: ``None`` (missing), ``bool``,
``int``, ``float`` (NaN and infinities included) or ``str``; the CLI formats
them as a table, CSV, JSON or Markdown.

Sort order of ``--min``/``--max`` (and of a batch's trials, best first):
numbers first (infinities are numbers; booleans count as 0 and 1), in
ascending order for ``--min``, descending for ``--max``; then NaN; then text,
in text order; then missing values. Ties keep the list order (newest first).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..errors import ColumnSpecError, GuildlikeError
from ..store import links, store
from ..store.filters import RunFilter
from ..store.run import Run
from ..store.select import select_many
from ..util.gcpause import collector_paused
from . import columns as colmod
from .columns import ATTR, FLAG, Column
from .compare_cells import (
    last_value,
    needs_full,
    prefetch_scalars,
    row_data,
    rows_of,
    run_scalars,
    safe_get,
)

if TYPE_CHECKING:
    from .objective import Objective

BASE = [Column(ATTR, n) for n in ("run", "operation", "started", "time", "status", "label")]
STEP_COLUMN = Column(ATTR, "step")


@dataclass
class Options:
    columns: list[str] = field(default_factory=list)  # -c: appended
    strict: list[str] = field(default_factory=list)  # -cc: exactly these after run
    min_col: str | None = None
    max_col: str | None = None
    top: int | None = None
    skip_unchanged: bool = False
    include_batch: bool = False
    all_scalars: bool = False  # flags and scalars also for operations with compare:


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]
    kinds: list[str] = field(default_factory=list)  # each column's kind: attr, flag or scalar


def sort_key(value: Any, descending: bool = False) -> tuple[int, float, str]:
    """The order described in the module doc, for one cell."""
    if value is None:
        return (3, 0.0, "")
    if isinstance(value, (bool, int, float)):
        try:
            num = float(value)
        except OverflowError:  # an int too large for a float
            num = math.inf if value > 0 else -math.inf
        if math.isnan(num):
            return (1, 0.0, "")
        return (0, -num if descending else num, "")
    return (2, 0.0, str(value))


def batch_objective(batch: Run) -> Objective:
    """The objective of ``batch``'s search (its recorded operation's), the default without one."""
    from ..guildfile.opdef import OpDef  # lazy: start-up of compare; only batches have an objective
    from . import objective  # lazy: as above
    from .opdefs import trial_opdef  # lazy: as above (loads the guildfile machinery)

    try:
        bop = OpDef.from_data(batch.get("op") or {})
        return objective.objective_for(trial_opdef(bop), bop.batch or {})
    except (GuildlikeError, AssertionError, KeyError, TypeError, AttributeError):
        return objective.Objective()


def trials_best_first(ctx: Context, batch: Run) -> list[Run]:
    """The batch's trials, best first by its objective (see the module doc for the order)."""
    obj = batch_objective(batch)
    trials = [store.run_for_id(ctx, rid) for rid in links.linked_ids(batch.path)]
    trials.sort(key=lambda r: r.sort_time, reverse=True)

    def key(run: Run) -> tuple[int, float, str]:
        return sort_key(last_value(run_scalars(ctx, run).get(obj.scalar)), obj.maximize)

    return sorted(trials, key=key)


def best_trial(ctx: Context, batch: Run) -> tuple[Run, str] | None:
    """The best completed trial of ``batch`` and a line about it, None without one."""
    obj = batch_objective(batch)
    for run in trials_best_first(ctx, batch):
        val = last_value(run_scalars(ctx, run).get(obj.scalar))
        if run.status == "completed" and sort_key(val)[0] == 0:
            flags = " ".join(f"{k}={_text(v)}" for k, v in sorted(run.flags.items()))
            return run, f"Best trial {run.short_id}: {obj.scalar} {val:.6g} ({flags})"
    return None


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def select_runs(ctx: Context, specs: Sequence[str], flt: RunFilter, include_batch: bool) -> list[Run]:
    """The runs to compare: batch runs given by id are replaced by their trials, best first."""
    listed = store.list_runs(ctx, flt)
    if not specs:
        # A batch's operation is named OP+ or OP+OPTIMIZER: only those runs' op attribute is read.
        return [r for r in listed if include_batch or "+" not in r.op_name or not r.is_batch()]
    out: list[Run] = []
    for run in select_many(listed, list(specs), "compare"):
        out.extend(trials_best_first(ctx, run) if run.is_batch() else [run])
    return out


def _op_columns(ctx: Context, run: Run) -> list[Column] | None:
    """The columns of the run's operation's ``compare:``, None when it has none; the
    newest run of each operation (the first met) speaks for all its runs."""
    ref = run.opref
    key = f"compare-columns:{ref.pkg_path if ref else ''}:{run.op_name}"
    if key not in ctx.cache:
        ctx.cache[key] = _read_op_columns(ctx, run)
    found = ctx.cache[key]
    return found if isinstance(found, list) else None


def _read_op_columns(ctx: Context, run: Run) -> list[Column] | None:
    op = safe_get(run, "op")
    spec = op.get("compare") if isinstance(op, dict) else None
    if not spec:
        return None
    texts = [spec] if isinstance(spec, str) else [str(s) for s in spec] if isinstance(spec, list) else []
    try:
        return colmod.parse_all(texts)
    except ColumnSpecError as e:
        ctx.ui.info(f"ignoring compare: of {run.op_name}: {e.message}")
        return None


def _run_columns(
    ctx: Context, run: Run, all_scalars: bool, flags: dict[str, Any], pairs: dict[str, Any]
) -> list[Column]:
    """A run's own columns: its operation's ``compare:``, else (or with ``all_scalars``,
    after them) its flags, step and scalars (``flags`` and ``pairs``: its flags and
    ``last_pairs``)."""
    own = _op_columns(ctx, run)
    if own is not None and not all_scalars:
        return own
    keys = sorted(pairs)
    return (
        (own or []) + [Column(FLAG, n) for n in sorted(flags)] + ([STEP_COLUMN] if keys else [])
        + [Column(colmod.SCALAR, k) for k in keys]
    )


def table_columns(
    ctx: Context, runs: list[Run], opts: Options,
    flags: list[dict[str, Any]] | None = None, pairs: list[dict[str, Any]] | None = None,
) -> list[Column]:
    """The table's columns; ``flags`` and ``pairs`` are each run's flags and
    ``last_pairs`` when the caller has them."""
    extra = colmod.parse_all(opts.columns)
    if opts.strict:
        return colmod.merge([BASE[0], *colmod.parse_all(opts.strict), *extra])
    if flags is None or pairs is None:
        flags, pairs = row_data(ctx, runs)
    cols = list(BASE)
    seen: set[tuple[Any, ...]] = set()
    for run, run_flags_, run_pairs in zip(runs, flags, pairs, strict=True):
        # What a run's own columns depend on: runs with the same key add the same columns.
        ref = run.opref
        op = (ref.pkg_path, ref.op_name) if ref else ("", "")
        key = (op, tuple(run_flags_), tuple(run_pairs))
        if key not in seen:
            seen.add(key)
            cols.extend(_run_columns(ctx, run, opts.all_scalars, run_flags_, run_pairs))
    return colmod.merge(cols + extra)


def _sort(rows: list[list[Any]], headers: list[str], opts: Options) -> list[list[Any]]:
    name = opts.min_col or opts.max_col
    if name is None or name not in headers:
        return rows  # as Guild: an unknown column leaves the order as it is
    i = headers.index(name)
    return sorted(rows, key=lambda r: sort_key(r[i], descending=opts.max_col is not None))


def _same(values: list[Any]) -> bool:
    keys = {("nan",) if isinstance(v, float) and math.isnan(v) else (type(v).__name__, repr(v)) for v in values}
    return len(keys) == 1


def _drop_unchanged(table: Table) -> Table:
    if len(table.rows) < 2:
        return table
    keep = [i for i in range(len(table.headers)) if not _same([r[i] for r in table.rows])]
    kinds = [table.kinds[i] for i in keep] if table.kinds else []
    return Table([table.headers[i] for i in keep], [[r[i] for i in keep] for r in table.rows], kinds)


def compare(ctx: Context, specs: Sequence[str], flt: RunFilter, opts: Options) -> Table:
    """The compare table of the runs ``specs`` and ``flt`` select (see the module doc)."""
    colmod.parse_all(opts.columns + opts.strict)  # bad specs fail before any run is read
    for name in (opts.min_col, opts.max_col):
        if name is not None and not name.strip():
            raise ColumnSpecError(name, "expected a column name")
    with collector_paused():
        return table(ctx, select_runs(ctx, specs, flt, opts.include_batch), opts)


def table(ctx: Context, runs: list[Run], opts: Options) -> Table:
    """The compare table of ``runs`` as they are given (batches are not replaced by their trials)."""
    prefetch_scalars(ctx, runs, last_only=True)  # the columns need keys; most tables, last values
    flags, pairs = row_data(ctx, runs)
    cols = table_columns(ctx, runs, opts, flags, pairs)
    if needs_full(cols):
        prefetch_scalars(ctx, runs)
    headers = [c.header for c in cols]
    rows = rows_of(ctx, runs, cols, flags, pairs)
    rows = _sort(rows, headers, opts)
    if opts.top is not None:
        rows = rows[: opts.top]
    found = Table(headers, rows, [c.kind for c in cols])
    return _drop_unchanged(found) if opts.skip_unchanged else found

