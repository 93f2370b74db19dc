"""Which request gets which answer: the JSON endpoints and the static pages.

Paths are matched before they are decoded, so an encoded ``/`` or ``.``
can never reach a run id or a file name. Every error is JSON
``{"error": "..."}`` with a 4xx status.

==============================  ===========================================
``/api/info``                   the home, the version, the number of runs
``/api/runs``                   a page of runs: ``offset``, ``limit``, ``q``
                                (words), ``op``, ``label``, ``tag``,
                                ``status``, ``started``
``/api/runs/ID``                a run: flags, scalars, attributes, attempts,
                                code identities, dependencies, links
``/api/runs/ID/series``         every series of the run
``/api/runs/ID/files``          the run's files
``/api/runs/ID/file?path=P``    one file's bytes
``/api/runs/ID/output?offset=``  the output from a byte offset
``/api/series?key=K&run=ID,..``  one scalar of several runs
``/api/compare?run=ID,..``      a compare table (``batch=ID``: its trials,
                                ``skip_unchanged=1``)
``/api/pipeline/ID``            steps, their runs and the restart plan
``/api/diff?a=ID&b=ID``         diff's sections (``section=NAME,..``)
==============================  ===========================================
"""

from __future__ import annotations

import importlib.resources
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..context import Context
from ..errors import BadRequest, GuildlikeError
from ..store import store
from . import filesdata, jsonout, results, runsdata
from .filesdata import FileBody
from .params import Query

ID = r"(?P<id>[A-Za-z0-9][A-Za-z0-9_.-]{0,127})"
STATIC_NAME = re.compile(r"^(vendor/)?[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes | FileBody
    headers: dict[str, str] = field(default_factory=dict)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, "application/json", jsonout.dumps(value))


def error_response(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def static_file(name: str) -> bytes:
    """A file of the pages (``index.html``, ``app.js``, ``vendor/uPlot.iife.min.js``, ...)."""
    if not STATIC_NAME.match(name) or ".." in name:
        raise BadRequest(404, f"no page {name!r}")
    try:
        return importlib.resources.files("guildlike.view").joinpath("static", *name.split("/")).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise BadRequest(404, f"no page {name!r}") from None


def _static(name: str) -> Response:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(200, kind + ("; charset=utf-8" if kind.startswith("text/") or kind.endswith("script") else ""),
                    static_file(name), {"Cache-Control": "no-cache"})


def _file(ctx: Context, m: re.Match[str], q: Query) -> Response:
    body = filesdata.open_file(runsdata.find_run(ctx, m["id"]), q.one("path"))
    safe = re.sub(r'[^A-Za-z0-9_.-]', "_", body.name)
    how = "attachment" if q.flag("download") else "inline"
    headers = {"Content-Disposition": f'{how}; filename="{safe}"', "X-Content-Type-Options": "nosniff"}
    return Response(200, served_type(body.name), body, headers)


def served_type(name: str) -> str:
    """How a run's file is sent: an image as itself, text (HTML and SVG too) as plain text, the rest as bytes.

    A run's HTML or SVG must not run scripts with this page's origin.
    """
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("image/") and kind != "image/svg+xml":
        return kind
    if kind.startswith("text/") or kind in ("application/json", "image/svg+xml"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _info(ctx: Context) -> dict[str, Any]:
    return {"home": str(ctx.home), "version": __version__, "runs": len(store.list_runs(ctx))}


Handler = Callable[[Context, re.Match[str], Query], Response]

ROUTES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(p), h) for p, h in [
        (r"^/api/info$", lambda c, m, q: json_response(_info(c))),
        (r"^/api/runs$", lambda c, m, q: json_response(runsdata.runs_page(c, q))),
        (rf"^/api/runs/{ID}$", lambda c, m, q: json_response(runsdata.run_page(c, runsdata.find_run(c, m["id"])))),
        (rf"^/api/runs/{ID}/series$",
         lambda c, m, q: json_response(results.all_series(runsdata.find_run(c, m["id"])))),
        (rf"^/api/runs/{ID}/files$", lambda c, m, q: json_response(filesdata.listing(runsdata.find_run(c, m["id"])))),
        (rf"^/api/runs/{ID}/file$", _file),
        (rf"^/api/runs/{ID}/output$", lambda c, m, q: json_response(
            filesdata.output(runsdata.find_run(c, m["id"]), q.number("offset", 0, 0, 2**62)))),
        (r"^/api/series$", lambda c, m, q: json_response(results.series(c, q))),
        (r"^/api/compare$", lambda c, m, q: json_response(results.compare(c, q))),
        (rf"^/api/pipeline/{ID}$",
         lambda c, m, q: json_response(results.pipeline(c, runsdata.find_run(c, m["id"]), q))),
        (r"^/api/diff$", lambda c, m, q: json_response(results.diff(c, q))),
        (r"^/$", lambda c, m, q: _static("index.html")),
        (r"^/static/(?P<name>[A-Za-z0-9_./-]+)$", lambda c, m, q: _static(m["name"])),
    ]
]


def answer(ctx: Context, raw_path: str) -> Response:
    """The response to a GET of ``raw_path`` (the path and query as sent, still encoded)."""
    path, _, query = raw_path.partition("?")
    if "%" in path or "\\" in path:
        return error_response(400, "encoded characters are not accepted in the path")
    try:
        for pattern, handler in ROUTES:
            m = pattern.match(path)
            if m:
                return handler(ctx, m, Query(query))
    except BadRequest as e:
        return error_response(e.status, e.message)
    except GuildlikeError as e:
        return error_response(400, e.message)
    return error_response(404, f"no such page {path}")
