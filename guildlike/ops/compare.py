"""``compare``: a table of runs, their flags and scalar summaries.

All scalar reads go through ``run_scalars`` (one place to switch to an index
of scalar summaries). Cells hold typed values: ``None`` (missing), ``bool``,
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..context import Context
from ..errors import ColumnSpecError, GuildlikeError, StepLinkError
from ..guildfile.opdef import OpDef
from ..store import links, scalar_index, store
from ..store.filters import RunFilter
from ..store.run import Run
from ..store.select import select_many
from ..util.timeutil import format_us, now_us
from . import columns as colmod
from . import scalars
from .columns import ATTR, FLAG, Column
from .objective import Objective, objective_for
from .opdefs import trial_opdef

Summary: TypeAlias = dict[str, Any]
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


def prefetch_scalars(ctx: Context, runs: Sequence[Run]) -> None:
    """Read the scalar summaries of ``runs`` at once, from the index where it has
    them, so that ``run_scalars`` opens no run folder for them."""
    found = scalar_index.summaries(ctx, [r.id for r in runs])
    for run in runs:
        ctx.cache[f"scalars:{run.path}"] = {k: s.as_dict() for k, s in found.get(run.id, {}).items()}


def run_scalars(ctx: Context, run: Run) -> dict[str, Summary]:
    """``{key: summary}`` of ``run``'s scalars (``last``, ``step``, ``first``, ``min``,
    ``max``, ``count``); the one place compare, diff and batches read scalars."""
    key = f"scalars:{run.path}"
    found = ctx.cache.get(key)
    if isinstance(found, dict):
        return found
    data = {k: v for k, v in scalars.read(run.path).items() if isinstance(k, str) and isinstance(v, dict)}
    ctx.cache[key] = data
    return data


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
    try:
        bop = OpDef.from_data(batch.get("op") or {})
        return objective_for(trial_opdef(bop), bop.batch or {})
    except (GuildlikeError, AssertionError, KeyError, TypeError, AttributeError):
        return Objective()


def trials_best_first(ctx: Context, batch: Run) -> list[Run]:
    """The batch's trials, best first by its objective (see the module doc for the order)."""
    obj = batch_objective(batch)
    trials = [store.run_for_id(ctx, rid) for rid in links.linked_ids(batch.path)]
    trials.sort(key=lambda r: r.sort_time, reverse=True)

    def key(run: Run) -> tuple[int, float, str]:
        return sort_key(run_scalars(ctx, run).get(obj.scalar, {}).get("last"), obj.maximize)

    return sorted(trials, key=key)


def best_trial(ctx: Context, batch: Run) -> tuple[Run, str] | None:
    """The best completed trial of ``batch`` and a line about it, None without one."""
    obj = batch_objective(batch)
    for run in trials_best_first(ctx, batch):
        val = run_scalars(ctx, run).get(obj.scalar, {}).get("last")
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


def _duration(run: Run) -> str:
    start = run.started
    if start is None:
        return ""
    stop = run.get("stopped")
    end = stop if isinstance(stop, int) and not isinstance(stop, bool) else now_us()
    secs = max(0, (end - start) // 1_000_000)
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def _last_step(ctx: Context, run: Run) -> Any:
    steps: list[int] = [s["step"] for s in run_scalars(ctx, run).values() if isinstance(s.get("step"), int)]
    return max(steps) if steps else None


def attr_value(ctx: Context, run: Run, name: str) -> Any:
    """A run attribute as a cell (``run``, ``time``, ``step`` and a few more are computed)."""
    computed: dict[str, Callable[[], Any]] = {
        "run": lambda: run.short_id,
        "id": lambda: run.id,
        "operation": lambda: run.op_name,
        "started": lambda: format_us(run.started),
        "stopped": lambda: format_us(run.get("stopped")),
        "time": lambda: _duration(run),
        "status": lambda: run.status,
        "label": lambda: run.label,
        "step": lambda: _last_step(ctx, run),
        "sourcecode": lambda: str(run.get("sourcecode_digest") or "")[:8] or None,
        "tags": lambda: " ".join(run.tags),
    }
    if name in computed:
        return computed[name]()
    val = run.get(name)
    return json.dumps(val, sort_keys=True) if isinstance(val, (dict, list)) else val


def _step_run(run: Run, name: str) -> Run | None:
    try:
        return links.checked_target(run, name)
    except (StepLinkError, OSError):
        return None


def cell(ctx: Context, run: Run, col: Column) -> Any:
    if col.kind == FLAG:
        return run.flags.get(col.name)
    if col.kind == ATTR:
        return attr_value(ctx, run, col.name)
    source = _step_run(run, col.step) if col.step else run
    if source is None:
        return None
    summary = run_scalars(ctx, source).get(col.name)
    if summary is None:
        return None
    return summary.get("step" if col.want_step else col.qualifier)


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
    op = run.get("op")
    spec = op.get("compare") if isinstance(op, dict) else None
    if not spec:
        return None
    texts = [spec] if isinstance(spec, str) else [str(s) for s in spec] if isinstance(spec, list) else []
    try:
        return colmod.parse_all(texts)
    except ColumnSpecError as e:
        ctx.ui.info(f"ignoring compare: of {run.op_name}: {e.message}")
        return None


def _run_columns(ctx: Context, run: Run, all_scalars: bool) -> list[Column]:
    """A run's own columns: its operation's ``compare:``, else (or with ``all_scalars``,
    after them) its flags, step and scalars."""
    own = _op_columns(ctx, run)
    if own is not None and not all_scalars:
        return own
    flags = [Column(FLAG, n) for n in sorted(run.flags)]
    keys = sorted(run_scalars(ctx, run))
    return (own or []) + flags + ([STEP_COLUMN] if keys else []) + [Column(colmod.SCALAR, k) for k in keys]


def table_columns(ctx: Context, runs: list[Run], opts: Options) -> list[Column]:
    extra = colmod.parse_all(opts.columns)
    if opts.strict:
        return colmod.merge([BASE[0], *colmod.parse_all(opts.strict), *extra])
    cols = list(BASE)
    for run in runs:
        cols.extend(_run_columns(ctx, run, opts.all_scalars))
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
    return table(ctx, select_runs(ctx, specs, flt, opts.include_batch), opts)


def table(ctx: Context, runs: list[Run], opts: Options) -> Table:
    """The compare table of ``runs`` as they are given (batches are not replaced by their trials)."""
    prefetch_scalars(ctx, runs)
    cols = table_columns(ctx, runs, opts)
    headers = [c.header for c in cols]
    rows = [[cell(ctx, run, c) for c in cols] for run in runs]
    rows = _sort(rows, headers, opts)
    if opts.top is not None:
        rows = rows[: opts.top]
    found = Table(headers, rows, [c.kind for c in cols])
    return _drop_unchanged(found) if opts.skip_unchanged else found

