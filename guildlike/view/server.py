"""The HTTP server of ``view``: the standard library's, one thread per request, read-only.

Each request gets a fresh ``Context`` (same home, an empty cache), so
nothing read for one request is served stale to the next.
"""

from __future__ import annotations

import json
import os
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..context import Context
from ..errors import ViewError
from .filesdata import FileBody
from .routes import Response, answer, error_response

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CHUNK = 256 * 1024


class ViewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx: Context, host: str, port: int) -> None:
        self.ctx = ctx
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), RequestHandler)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def request_context(self) -> Context:
        return Context(home=self.ctx.home, cwd=self.ctx.cwd, ui=self.ctx.ui, env=self.ctx.env)


class RequestHandler(BaseHTTPRequestHandler):
    server: ViewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a request log would drown the address line; errors are in the answers

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own errors (a bad request line, a header too long) as JSON too."""
        self.close_connection = True
        body = json.dumps({"error": message or HTTPStatus(code).phrase}).encode("utf-8")
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _send(self, resp: Response, head: bool = False) -> None:
        body = resp.body
        size = body.size if isinstance(body, FileBody) else len(body)
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(size))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if head:
                return
            if isinstance(body, FileBody):
                self._copy(body)
            else:
                self.wfile.write(body)
        finally:
            if isinstance(body, FileBody):
                os.close(body.fd)

    def _copy(self, body: FileBody) -> None:
        left = body.size
        while left > 0:
            data = os.pread(body.fd, min(CHUNK, left), body.size - left)
            if not data:
                break
            self.wfile.write(data)
            left -= len(data)

    def do_GET(self) -> None:
        self._send(answer(self.server.request_context(), self.path))

    def do_HEAD(self) -> None:
        self._send(answer(self.server.request_context(), self.path), head=True)

    def _refuse(self) -> None:
        resp = error_response(405, "view is read-only: only GET and HEAD are answered")
        resp.headers["Allow"] = "GET, HEAD"
        self._send(resp)

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse


def make_server(ctx: Context, host: str, port: int) -> ViewServer:
    """A server bound to ``host:port`` (port 0: any free one), not yet serving; warns when not local."""
    try:
        server = ViewServer(ctx, host, port)
    except OSError as e:
        raise ViewError(f"cannot serve on {host}:{port}: {(e.strerror or str(e)).lower()}") from None
    if host not in LOCAL_HOSTS:
        ctx.ui.warning(f"view listens on {host}: anyone who can reach it can read every run in {ctx.home}")
    return server


def serve(server: ViewServer) -> None:
    """Answer requests until Ctrl-C (or ``shutdown`` from another thread), then close."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
