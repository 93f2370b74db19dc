"""``view --export``: the pages and the data of some runs in one HTML file that needs no server.

The file holds the stylesheets and scripts inline (uPlot with its licence
line) and, as ``window.GUILDLIKE_DATA``, what the endpoints would answer for
these runs: the list, each run's page, series (thinned), files (listed, not
their content) and the end of its output, each pipeline's steps and plan,
the compare table of the runs, and the diff of two runs. Nothing is loaded
from anywhere else.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from typing import Any

from ..context import Context
from ..errors import ViewError
from ..ops import compare as compare_mod
from ..store.run import Run
from . import filesdata, jsonout, results, runsdata
from .params import Query
from .routes import static_file

SERIES_POINTS = 500
OUTPUT_TAIL = 64 * 1024


def _output(run: Run) -> dict[str, Any]:
    try:
        size = os.path.getsize(run.guild_dir / "output")
    except OSError:
        size = 0
    return filesdata.output(run, max(0, size - OUTPUT_TAIL))


def _compare(ctx: Context, runs: list[Run], skip: bool) -> dict[str, Any]:
    table = compare_mod.table(ctx, runs, compare_mod.Options(skip_unchanged=skip, all_scalars=True))
    return {"ids": [r.id for r in runs], "headers": table.headers, "kinds": table.kinds, "rows": table.rows,
            "objective": None, "batch": None}


def data(ctx: Context, runs: Sequence[Run]) -> dict[str, Any]:
    """What the exported pages read, by endpoint and run id."""
    selected = list(dict.fromkeys(runs))
    out: dict[str, Any] = {
        "created": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "start": "#/runs",
        "runs": [runsdata.row(r) for r in selected], "run": {}, "series": {}, "files": {}, "output": {},
        "pipeline": {}, "compare": {}, "diff": None,
    }
    for run in selected:
        page = runsdata.run_page(ctx, run)
        out["run"][run.id] = page
        out["series"][run.id] = results.all_series(run, SERIES_POINTS)
        out["files"][run.id] = filesdata.listing(run)
        out["output"][run.id] = _output(run)
        if page["kind"] != "run":
            out["pipeline"][run.id] = {n: results.pipeline(ctx, run, Query(f"needed={n}")) for n in ("1", "0")}
    if selected:
        out["compare"] = {"all": _compare(ctx, selected, False), "skip": _compare(ctx, selected, True)}
    if len(selected) == 2:
        q = Query(f"a={selected[0].id}&b={selected[1].id}")
        out["diff"] = results.diff(ctx, q)
    return out


def _script(text: str) -> str:
    return "<script>\n" + text.replace("</script", "<\\/script") + "\n</script>"


def _style(name: str) -> str:
    return "<style>\n" + static_file(name).decode("utf-8") + "\n</style>"


def html(ctx: Context, runs: Sequence[Run]) -> str:
    """The page with everything inline."""
    page = static_file("index.html").decode("utf-8")
    payload = json.dumps(jsonout.jsonable(data(ctx, runs)), allow_nan=False, separators=(",", ":"))
    payload = payload.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    css = ("vendor/uPlot.min.css", "app.css")
    js = ("vendor/uPlot.iife.min.js", "app.js")
    inline = {f'<link rel="stylesheet" href="static/{n}">': _style(n) for n in css}
    inline.update({f'<script src="static/{n}"></script>': _script(static_file(n).decode("utf-8")) for n in js})
    inline["<!-- GUILDLIKE_DATA -->"] = f"<script>window.GUILDLIKE_DATA = {payload};</script>"
    for tag, text in inline.items():
        if tag not in page:
            raise ViewError(f"the view's index.html has no {tag}")
        page = page.replace(tag, text)
    return page


def write(ctx: Context, path: str, runs: Sequence[Run]) -> int:
    """Write the page of ``runs`` to ``path``; how many runs it holds."""
    text = html(ctx, runs)
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        raise ViewError(f"cannot write {path}: {(e.strerror or str(e)).lower()}") from None
    return len(dict.fromkeys(runs))
