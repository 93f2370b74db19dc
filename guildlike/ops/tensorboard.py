"""``guildlike tensorboard``: TensorBoard over selected runs.

A temporary log directory holds one symlink per run, named by its short id,
operation and label (``1a2b3c4d train lr=0.1``), to the run's folder, so
TensorBoard finds the event files the run's script wrote and those of its
output scalars in ``.guild/`` (written now for a run that has a series but
no event file yet, such as a live run). TensorBoard runs until it is
stopped (Ctrl-C); the temporary directory is then removed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..context import Context
from ..errors import Interrupted, MissingExtra, RunStoreError
from ..store import events, series
from ..store.run import Run
from . import process

_UNSAFE = re.compile(r"[/\x00-\x1f]")


def logdir_name(run: Run) -> str:
    """``SHORT_ID OPERATION LABEL`` with what cannot be in a file name replaced."""
    name = " ".join(p for p in (run.short_id, run.op_name, run.label) if p)
    return _UNSAFE.sub("_", name)[:200]


def _ensure_event_file(run: Run) -> None:
    guild_dir = run.guild_dir
    if not series.has_series(run.path) or any(events.is_event_file(n) for n in os.listdir(guild_dir)):
        return
    points = series.read(run.path)
    if points:
        events.write(guild_dir, points)


def make_logdir(runs: Sequence[Run], dest: Path) -> dict[str, Path]:
    """Links in ``dest`` to each run's folder; returns them by name."""
    links: dict[str, Path] = {}
    for run in runs:
        try:
            _ensure_event_file(run)
        except OSError:
            pass  # a read-only run still shows what its scripts wrote
        name = logdir_name(run)
        link = dest / name
        os.symlink(run.path, link)
        links[name] = link
    return links


def command(logdir: Path, host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir),
        "--host", host, "--port", str(port), "--load_fast", "false",
    ]


def serve(ctx: Context, runs: Sequence[Run], host: str, port: int) -> int:
    """Run TensorBoard over ``runs`` until it ends or is stopped; its exit status."""
    if not events.available():
        raise MissingExtra("guildlike tensorboard", "tensorboard")
    tmp = Path(tempfile.mkdtemp(prefix="guildlike-tensorboard-"))
    try:
        make_logdir(runs, tmp)
        ctx.ui.info(f"Starting TensorBoard over {len(runs)} run(s) at http://{host}:{port}/ (Ctrl-C to stop)")
        try:
            proc = subprocess.Popen(command(tmp, host, port), stdin=subprocess.DEVNULL)
        except OSError as e:
            raise RunStoreError(f"cannot start TensorBoard: {e.strerror}") from e
        try:
            with process.interrupt_on_signals():
                return proc.wait()
        except Interrupted:
            proc.terminate()
            proc.wait()
            return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
