"""Attempts: every start and restart of a run appends one, and history is never overwritten.

An attempt records its number, start, stop, duration, status, exit code,
flags, source digest, code identity, host and what triggered it (the first
run, a restart of this run, a pipeline, a batch). The number of attempts
after the first is the run's restart counter (Runnable's retry indicator).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..context import Context
from ..store import status as status_mod
from ..store.run import Run
from ..util import timeutil
from ..util.hosts import host_name
from . import codeid, datahash


def _trigger(text: str) -> dict[str, Any]:
    kind, _, ref = text.partition(" ")
    return {"kind": kind or "run", "run": ref or None}


def begin(ctx: Context | None, run: Run, trigger: str) -> None:
    attempts = list(run.get("attempts") or [])
    op = run.get("op") or {}
    project = op.get("project-dir", "") if isinstance(op, dict) else ""
    kind = _trigger(trigger)
    if attempts and kind["kind"] == "run":
        kind = {"kind": "restart", "run": None}
    attempts.append(
        {
            "number": len(attempts) + 1,
            "started": run.get("started"),
            "stopped": None,
            "duration": None,
            "status": status_mod.RUNNING,
            "exit_status": None,
            "flags": run.flags,
            "sourcecode_digest": run.get("sourcecode_digest") or "",
            "code": codeid.cached_identity(ctx, project) if ctx else codeid.identify(Path(project)),
            "host": host_name(),
            "trigger": kind,
        }
    )
    run.set("attempts", attempts)
    ident = attempts[-1]["code"]
    if ident.get("type") == "git" and ident.get("commit"):
        run.set("vcs_commit", f"git:{ident['commit']}")


def end(run: Run, exit_status: int, data_digest: str | None) -> None:
    attempts = list(run.get("attempts") or [])
    if not attempts:
        return
    last = dict(attempts[-1])
    stopped = run.get("stopped")
    last["stopped"] = stopped
    if stopped and last.get("started"):
        last["duration"] = round((stopped - last["started"]) / 1e6, 6)
    last["exit_status"] = exit_status
    last["status"] = status_mod.status_from_exit(exit_status)
    if data_digest is not None:
        last["data_digest"] = data_digest
    attempts[-1] = last
    run.set("attempts", attempts)


def source_hashes(run_dir: Path) -> dict[str, str]:
    try:
        data: dict[str, str] = json.loads((run_dir / ".guild" / "source.json").read_text())
        return data
    except (OSError, ValueError):
        return {}


def record_data(run: Run) -> str | None:
    """The digest of the run's outputs; None when they cannot be hashed (the
    run's end is written all the same, and its LOCK removed)."""
    try:
        return datahash.record(run.path, source_hashes(run.path))
    except (OSError, ValueError):
        return None


def restart_count(run: Run) -> int:
    return max(len(run.get("attempts") or []) - 1, 0)


def now_us() -> int:
    return timeutil.now_us()
