"""Background runs: a run goes on in a detached process, the caller returns once it started.

``start`` (the caller's side) hands a ``Request`` to a new process
(``python -m guildlike.ops.background_main``) in a session of its own, with
stdin from /dev/null and stdout/stderr to /dev/null: a closed terminal does
not stop it, and the run records its output, end and attempts itself, as a
run in the foreground does. Until the run has started, the detached process
reports on a pipe what it would have told the user (a ``--needed`` skip, an
error); ``start`` passes that on and returns once the run's ``started``
attribute changes, or raises the error the detached process met.

Nothing here knows how runs are run: the detached process calls the engine,
with the executor the request names. With a cluster executor the detached
process is the cluster's client: it submits the run and waits for its end.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError
from ..store import attrs, store
from ..store.run import Run
from .options import RunOptions

ACTIONS = ("run", "restart", "start")
_POLL_S = 0.05


@dataclass
class Request:
    """What a detached process is to do: run an op (``run``), restart or start a run."""

    action: str
    run_id: str
    opspec: str | None = None
    flag_args: list[str] = field(default_factory=list)
    opts: dict[str, Any] = field(default_factory=dict)
    executor: str | None = None  # --executor; None: the environment's or the home's config

    @classmethod
    def make(cls, action: str, run_id: str, opts: RunOptions, opspec: str | None = None,
             flag_args: Sequence[str] = (), executor: str | None = None) -> Request:
        return cls(action, run_id, opspec, list(flag_args), asdict(opts), executor)

    def options(self) -> RunOptions:
        return RunOptions(**self.opts)

    def encode(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def decode(cls, text: str) -> Request:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("action") not in ACTIONS:
            raise GuildlikeError("invalid background request")
        return cls(**data)


def spawn_detached(cmd: list[str], cwd: Path, env: dict[str, str], report_fd: int) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a session of its own, no terminal, ``report_fd`` kept open in it."""
    try:
        return subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=(report_fd,),
        )
    except OSError as e:
        raise GuildlikeError(f"cannot start a background process: {e.strerror}") from e


def start(ctx: Context, request: Request) -> Run | None:
    """Run ``request`` in a detached process; the run once it has started, None when
    nothing was run (``--needed``). Errors met before the start are raised here."""
    run = store.run_for_id(ctx, request.run_id)
    before = _started(run)
    r, w = os.pipe()
    try:
        cmd = [sys.executable, "-m", "guildlike.ops.background_main", str(w), request.encode()]
        proc = spawn_detached(cmd, ctx.cwd, ctx.env, w)
    finally:
        os.close(w)
    with os.fdopen(r, "rb") as reports:
        data = _read_until_started(reports, run, before)
        code = None if data is None else proc.wait()
    if data is None:
        return store.run_for_id(ctx, request.run_id)
    _replay(ctx, data, code or 0, request)
    return None


def _started(run: Run) -> Any:
    try:
        return attrs.read(run.path, "started")
    except GuildlikeError:
        return None


def _read_until_started(reports: Any, run: Run, before: Any) -> bytes | None:
    """What the detached process reported, once it ended; None as soon as the run started."""
    data = b""
    while True:
        ready, _, _ = select.select([reports], [], [], _POLL_S)
        if ready:
            chunk = os.read(reports.fileno(), 65536)
            if not chunk:
                return None if _started(run) != before else data
            data += chunk
        elif _started(run) != before:
            return None


def _replay(ctx: Context, data: bytes, code: int, request: Request) -> None:
    """Tell the user what the detached process reported; raise the error it ended with."""
    error: dict[str, Any] | None = None
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        kind, value = item.get("kind"), item.get("value")
        if kind == "info":
            ctx.ui.info(str(value))
        elif kind == "warning":
            ctx.ui.warning(str(value))
        elif kind == "note":
            ctx.ui.note(str(value))
        elif kind == "message":
            ctx.ui.message(str(value))
        elif kind == "runs":
            ctx.ui.runs([store.run_for_id(ctx, str(i)) for i in value])
        elif kind == "error":
            error = value
    if error is not None:
        raise GuildlikeError(
            str(error.get("message", "")), list(error.get("hints", [])), int(error.get("exit_code", 1)),
            bool(error.get("prefix", True)),
        )
    if code != 0:
        raise GuildlikeError(f"the background process for run {request.run_id} exited with status {code}",
                             exit_code=code if code > 0 else 1)


class ReportingUI:
    """The detached process's UI: until the caller stops listening, what the user
    would see goes to the report pipe; process output is recorded in the run only."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def _send(self, kind: str, value: Any) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, (json.dumps({"kind": kind, "value": value}) + "\n").encode())
        except OSError:  # the caller has returned: nobody listens any more
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def info(self, msg: str) -> None:
        self._send("info", msg)

    def warning(self, msg: str) -> None:
        self._send("warning", msg)

    def note(self, msg: str) -> None:
        self._send("note", msg)

    def message(self, msg: str) -> None:
        self._send("message", msg)

    def stream(self, data: bytes, err: bool) -> None:
        pass

    def progress(self, msg: str) -> None:
        pass

    def runs(self, runs: Sequence[Run]) -> None:
        self._send("runs", [r.id for r in runs])

    def table(self, rows: list[list[str]]) -> None:
        for row in rows:
            self._send("message", "  ".join(row))

    def error(self, e: GuildlikeError) -> None:
        self._send("error", {"message": e.message, "hints": e.hints, "exit_code": e.exit_code, "prefix": e.prefix})
