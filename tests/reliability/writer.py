"""A worker for the many-writers tests and bench/stress.py.

Runs guildlike commands in a loop inside one process (``guildlike.cli.main``,
as the ``guildlike`` command does, without paying Python's start-up for
each), in the current directory and the home of ``GUILDLIKE_HOME``:

    writer.py write RUNS [PIPELINE_EVERY]   start RUNS runs of `noop`; every
                                            PIPELINE_EVERY-th is the `noops`
                                            pipeline (a run and two step runs)
    writer.py list STOPFILE                 list runs (all, filtered, info)
    writer.py churn STOPFILE                delete and restore completed runs

``list`` and ``churn`` go on until STOPFILE exists (at most 10 minutes).

The last line printed is a JSON summary. Any exception escapes and ends the
process with a traceback, which the callers look for.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from typing import Any

from guildlike.cli.main import main


def _stream() -> io.TextIOWrapper:
    """A text stream with a ``buffer`` (the UI writes process output there)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace", write_through=True)


def _text(f: io.TextIOWrapper) -> str:
    f.flush()
    buf = f.buffer
    assert isinstance(buf, io.BytesIO)
    return buf.getvalue().decode("utf-8", errors="replace")


def _call(argv: list[str], want: tuple[int, ...] = (0,)) -> tuple[int, str, str]:
    out, err = _stream(), _stream()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    o, e = _text(out), _text(err)
    if code not in want:
        raise SystemExit(f"guildlike {' '.join(argv)} exited {code}:\n{o}{e}")
    if "Traceback" in o + e:
        raise SystemExit(f"traceback from guildlike {' '.join(argv)}:\n{e}")
    return code, o, e


def write(runs: int, pipeline_every: int) -> dict[str, Any]:
    made = {"runs": 0, "pipelines": 0, "dirs": 0}
    for i in range(runs):
        if pipeline_every and i % pipeline_every == pipeline_every - 1:
            _call(["run", "-y", "noops"])
            made["pipelines"] += 1
            made["dirs"] += 3
        else:
            _call(["run", "-y", "noop"])
            made["dirs"] += 1
        made["runs"] += 1
    return made


def _going(stop: str, end: float) -> bool:
    return not os.path.exists(stop) and time.monotonic() < end


def list_loop(stop: str) -> dict[str, Any]:
    end = time.monotonic() + 600
    n = 0
    while _going(stop, end):
        _call(["runs", "-a"])
        _call(["runs", "-Sc", "-Fo", "noop", "-n", "5"])
        _call(["runs", "info"], want=(0, 1))  # 1: no runs yet
        n += 3
    return {"listings": n}


def churn(stop: str) -> dict[str, Any]:
    end = time.monotonic() + 600
    deleted = restored = 0
    while _going(stop, end):
        code, out, _ = _call(["runs", "delete", "-y", "-Sc", "-Fo", "noop", "1"], want=(0, 1))
        if code == 0:
            deleted += 1
        code, out, _ = _call(["runs", "restore", "-y", "1"], want=(0, 1))
        if code == 0:
            restored += 1
        time.sleep(0.01)
    # put back all that is still deleted
    _call(["runs", "restore", "-y"])
    return {"deleted": deleted, "restored": restored}


def cli(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "write":
        summary = write(int(argv[1]), int(argv[2]) if len(argv) > 2 else 0)
    elif mode == "list":
        summary = list_loop(argv[1])
    elif mode == "churn":
        summary = churn(argv[1])
    else:
        raise SystemExit(f"unknown mode {mode}")
    summary["pid"] = os.getpid()
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    cli(sys.argv[1:])
