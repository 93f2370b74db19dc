"""Helpers for the reliability suite: real processes, real files, real signals.

Every test gets its own home (``GUILDLIKE_HOME``) and its own copy of the
operations in ``project/``. guildlike runs as a separate process
(``python -m guildlike``), so a test can kill it, signal it, or run many at
once; nothing of the code under test is mocked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import psutil

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "project"
GUILDLIKE = [sys.executable, "-m", "guildlike"]

STATUSES = ("running", "completed", "error", "terminated", "pending", "staged")
_ROW_RE = re.compile(
    r"^\[(?P<index>\d+):(?P<short>[0-9a-z]+)\]\s+(?P<op>\S+(?: \([^)]*\))?)\s+"
    r"(?:(?P<started>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+)?"
    r"(?P<status>" + "|".join(STATUSES) + r")(?:\s+(?P<label>.*))?$"
)


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def __str__(self) -> str:
        return f"exit {self.rc}\n--- stdout\n{self.out}--- stderr\n{self.err}"


@dataclass
class Row:
    index: int
    short: str
    op: str
    started: str
    status: str
    label: str


def parse_rows(text: str) -> list[Row]:
    rows = []
    for line in text.splitlines():
        m = _ROW_RE.match(line.rstrip())
        assert m, f"cannot parse run row: {line!r}"
        rows.append(
            Row(int(m["index"]), m["short"], m["op"], m["started"] or "", m["status"], m["label"] or "")
        )
    return rows


def assert_clean_error(res: Result) -> None:
    """A failure that says what went wrong in one ``guildlike: ...`` line."""
    assert res.rc != 0, str(res)
    assert "Traceback" not in res.text, str(res)
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("guildlike: "), str(res)
    assert len(lines[0]) > len("guildlike: ") + 5, str(res)


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (gone, or a zombie nobody reaped)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(pred: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    end = time.monotonic() + timeout
    while True:
        val = pred()
        if val:
            return val
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Env:
    """A home, a project copy, and ways to run guildlike in them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.home = tmp / "home"
        self.project = tmp / "project"
        shutil.copytree(PROJECT, self.project)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("GUILDLIKE_") and k not in ("PYTHONPATH",)
        }
        self.env["GUILDLIKE_HOME"] = str(self.home)
        self.env["PYTHONUNBUFFERED"] = "1"
        self.env["COLUMNS"] = "200"
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(self.env)
        env.update(extra or {})
        return env

    def gl(self, *args: str, env: dict[str, str] | None = None, input: str = "", timeout: float = 120,
           cwd: Path | None = None) -> Result:
        """Run ``guildlike ARGS`` to its end."""
        p = subprocess.run(
            GUILDLIKE + list(args),
            cwd=str(cwd or self.project),
            env=self.environ(env),
            input=input.encode(),
            capture_output=True,
            timeout=timeout,
        )
        return Result(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))

    def ok(self, *args: str, **kw: Any) -> Result:
        res = self.gl(*args, **kw)
        assert res.rc == 0, str(res)
        assert "Traceback" not in res.text, str(res)
        return res

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``guildlike ARGS`` in its own session (as a shell would start a job)."""
        log = open(self.tmp / f"bg-{len(self.procs)}.log", "wb")
        p = subprocess.Popen(
            GUILDLIKE + list(args),
            cwd=str(self.project),
            env=self.environ(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(p)
        return p

    def log(self, p: subprocess.Popen[bytes]) -> str:
        return (self.tmp / f"bg-{self.procs.index(p)}.log").read_text(errors="replace")

    def rows(self, *args: str) -> list[Row]:
        res = self.ok("runs", "-a", *args)
        return parse_rows(res.out)

    def statuses(self) -> dict[str, str]:
        """Full run id -> status as ``runs`` shows it."""
        out = {}
        for row in self.rows():
            out[self.full_id(row.short)] = row.status
        return out

    def run_ids(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.runs_dir) if not n.startswith("."))
        except FileNotFoundError:
            return []

    def full_id(self, prefix: str) -> str:
        ids = [i for i in self.run_ids() if i.startswith(prefix)]
        assert len(ids) == 1, (prefix, ids)
        return ids[0]

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def attr(self, run_id: str, name: str) -> Any:
        import yaml

        from guildlike.store.attrs import file_name

        path = self.run_dir(run_id) / ".guild" / "attrs" / file_name(name)
        return yaml.safe_load(path.read_text()) if path.exists() else None

    def op_of(self, run_id: str) -> str:
        text = (self.run_dir(run_id) / ".guild" / "opref").read_text()
        return text.split()[-1]

    def ids_of(self, op: str) -> list[str]:
        return [i for i in self.run_ids() if (self.run_dir(i) / ".guild" / "opref").exists() and self.op_of(i) == op]

    def lock_pid(self, run_id: str) -> int | None:
        try:
            text = (self.run_dir(run_id) / ".guild" / "LOCK").read_text()
        except FileNotFoundError:
            return None
        try:
            return int(text.split()[0])
        except (IndexError, ValueError):
            return None

    def wait_op_running(self, op: str, guild_pid: int, timeout: float = 30) -> tuple[str, int]:
        """(run id, op process pid) once a run of ``op`` has a live process of its own."""

        def found() -> tuple[str, int] | None:
            for rid in self.ids_of(op):
                pid = self.lock_pid(rid)
                if pid and pid != guild_pid and not process_gone(pid):
                    if op != "sleepy" or (self.run_dir(rid) / "slept").exists():
                        return rid, pid
            return None

        return wait_for(found, timeout, f"a running {op} process")

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                p.wait()
