"""The runs list and a run's page, as JSON-ready dicts.

The list reads the index only (a page of rows, and the scalar summaries of
the running runs on it for their progress); a run's page reads its folder.
"""

from __future__ import annotations

import os
from typing import Any

from ..context import Context
from ..errors import BadRequest
from ..ops import runlog
from ..ops.requires import upstream_ids
from ..store import attrs as attrs_mod
from ..store import runids, scalar_index, store
from ..store.run import Run
from ..util import secrets
from .params import Query

MAX_PAGE = 1000


def find_run(ctx: Context, spec: str) -> Run:
    """The run whose id is ``spec`` or starts with it; ``BadRequest`` 404 otherwise."""
    if not runids.is_valid(spec):
        raise BadRequest(404, f"no run {spec!r}")
    if os.path.isdir(ctx.runs_dir / spec / ".guild"):
        return store.run_for_id(ctx, spec)
    try:
        found = [e.name for e in os.scandir(ctx.runs_dir) if e.name.startswith(spec) and runids.is_valid(e.name)]
    except OSError:
        found = []
    if len(found) != 1:
        raise BadRequest(404, f"no run {spec!r}" if not found else f"{spec!r} matches {len(found)} runs")
    return store.run_for_id(ctx, found[0])


def ms(us: Any) -> int | None:
    return us // 1000 if isinstance(us, int) and not isinstance(us, bool) else None


def row(run: Run) -> dict[str, Any]:
    """A run as the list shows it (what the index holds, no folder read for a finished run)."""
    return {
        "id": run.id, "operation": run.op_name, "status": run.status, "label": run.label,
        "started": ms(run.started), "tags": run.tags, "marked": run.marked,
    }


def _matches(run: Run, words: list[str]) -> bool:
    text = " ".join([run.id, run.op_name, run.label, *run.tags]).lower()
    return all(w in text for w in words)


def _progress(ctx: Context, rows: list[dict[str, Any]]) -> None:
    """The last step of each running run on the page, from its scalars."""
    live = [r["id"] for r in rows if r["status"] == "running"]
    found = scalar_index.summaries(ctx, live) if live else {}
    for r in rows:
        steps = [s.step for s in found.get(r["id"], {}).values()]
        r["step"] = max(steps) if steps else None


def runs_page(ctx: Context, q: Query) -> dict[str, Any]:
    """A page of the runs list: ``offset``/``limit``, the filters of ``runs``, and ``q`` words."""
    offset = q.number("offset", 0, 0, 10**9)
    limit = q.number("limit", 50, 1, MAX_PAGE)
    listed = store.list_runs(ctx, q.run_filter())
    words = q.one("q").lower().split()
    if not words:
        rows = [row(r) for r in listed[offset : offset + limit]]
        total: int | None = len(listed)
        more = offset + limit < len(listed)
    else:  # searched a page at a time, stopping once this page is full
        hits: list[Run] = []
        for run in listed:
            if _matches(run, words):
                hits.append(run)
                if len(hits) > offset + limit:
                    break
        rows = [row(r) for r in hits[offset : offset + limit]]
        more = len(hits) > offset + limit
        total = None if more else len(hits)
    _progress(ctx, rows)
    return {"offset": offset, "limit": limit, "total": total, "more": more, "runs": rows}


def _attributes(ctx: Context, run: Run) -> dict[str, Any]:
    """Every attribute but the big or derived ones shown elsewhere; the environment without secrets."""
    out: dict[str, Any] = {}
    pats = secrets.patterns(ctx.env)
    for name in attrs_mod.names(run.path):
        try:
            value = run.get(name)
        except Exception:  # a damaged attribute reads as absent, as in `runs info`
            value = None
        if name == "env" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if not secrets.is_secret(str(k), pats)}
        if name not in ("attempts", "flags"):
            out[name] = value
    return out


def linked(ctx: Context, run_id: str | None) -> dict[str, Any]:
    """Another run named by a link or a dependency: its id and, when it exists, operation and status."""
    if not run_id or not runids.is_valid(run_id) or not (ctx.runs_dir / run_id).is_dir():
        return {"id": run_id, "exists": False}
    other = store.run_for_id(ctx, run_id)
    return {"id": run_id, "exists": True, "operation": other.op_name, "status": other.status, "label": other.label}


def kind(run: Run) -> str:
    return "pipeline" if run.is_pipeline() else "batch" if run.is_batch() else "run"


def run_page(ctx: Context, run: Run) -> dict[str, Any]:
    """Everything a run's page shows but its files and output."""
    rec = runlog.run_record(run)
    summaries = scalar_index.run_summaries(ctx, run.id)
    cmd = run.get("cmd") or []
    deps = [dict(linked(ctx, rid), resource=name) for name, rid in upstream_ids(run.get("deps"))]
    steps = [dict(linked(ctx, rid), name=name) for name, rid in runlog.step_links(run)]
    return {
        "id": run.id, "operation": run.op_name, "status": run.status, "label": run.label, "kind": kind(run),
        "tags": run.tags, "marked": run.marked, "started": ms(run.started), "stopped": ms(run.get("stopped")),
        "exit_status": run.get("exit_status"), "flags": run.flags,
        "command": " ".join(str(c) for c in cmd) if isinstance(cmd, list) else str(cmd),
        "scalars": {k: summaries[k].as_dict() for k in sorted(summaries, key=scalar_index.display_order)},
        "attributes": _attributes(ctx, run), "attempts": rec["attempts"], "restarts": rec["restarts"],
        "code_identities": rec["code_identities"], "data_catalog": rec["data_catalog"],
        "sourcecode_digest": rec["sourcecode_digest"], "deps": deps, "links": steps,
        "comments": run.comments, "run_dir": str(run.path),
    }
