"""Run list rows, formatted as Guild prints them.

Pure functions (no printing): the CLI prints the lines. The library hands
runs to ``ctx.ui.runs`` and tables to ``ctx.ui.table``; the terminal UI
formats them here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import RunStoreError
from ..store.run import Run
from ..util.text import escape_text
from ..util.timeutil import format_us

MAX_PROJECT_WIDTH = 28


def project_suffix(run_project: str, cwd: Path) -> str:
    """`` (sub/proj)`` when the run's project is not the current directory."""
    if not run_project:
        return ""
    proj = os.path.normpath(run_project)
    here = os.path.normpath(str(cwd))
    if proj == here:
        return ""
    if proj.startswith(here + os.sep):
        shown = os.path.relpath(proj, here)
    else:
        parent = os.path.dirname(here)
        if proj == parent or proj.startswith(parent + os.sep):
            shown = os.path.relpath(proj, here)
        else:
            home = os.path.expanduser("~")
            shown = "~" + proj[len(home):] if proj == home or proj.startswith(home + os.sep) else proj
    return f" ({shorten_path(shown)})"


def shorten_path(path: str, max_len: int = MAX_PROJECT_WIDTH) -> str:
    """``path`` cut to ``max_len`` by replacing whole middle folders with ``…``.

    The first part (``/``, ``~`` or ``..``) and the last folder are always
    kept; folders are added back from the right and the left in turn while
    they fit. A last folder too long by itself is cut at its start.
    """
    if len(path) <= max_len:
        return path
    parts = path.split(os.sep)
    if len(parts) < 3:
        return "\u2026" + path[-(max_len - 1):]
    left, right, middle = [parts[0]], [parts[-1]], parts[1:-1]

    def joined() -> str:
        return os.sep.join(left + ["\u2026"] + right)

    if len(joined()) > max_len:
        return "\u2026" + path[-(max_len - 1):]
    from_right = True
    while middle:
        part = middle[-1] if from_right else middle[0]
        trial = (left, [part] + right) if from_right else (left + [part], right)
        if len(os.sep.join(trial[0] + ["\u2026"] + trial[1])) > max_len:
            break
        left, right = trial
        middle = middle[:-1] if from_right else middle[1:]
        from_right = not from_right
    return joined()


def op_column(run: Run, cwd: Path) -> str:
    ref = run.opref
    if ref is None:
        return "?"
    shown = ref.op_name + project_suffix(ref.project_dir, cwd)
    return f"{shown} [marked]" if run.marked else shown


def cells(run: Run, cwd: Path) -> tuple[str, str, str, str]:
    """(op, started, status, label); a damaged run is listed as an error with the reason."""
    try:
        if run.damaged:
            return (op_column(run, cwd), format_us(run.sort_time), "error", f"<damaged: {run.damaged}>")
        return (op_column(run, cwd), format_us(run.sort_time), run.status, run.label)
    except (RunStoreError, OSError) as e:
        return ("?", "", "error", f"<damaged: {getattr(e, 'message', None) or e}>")


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns left-aligned, padded to the widest cell, two spaces apart; the last unpadded."""
    if not rows:
        return []
    rows = [[escape_text(c) for c in r] for r in rows]  # run data may hold control characters
    ncols = len(rows[0])
    widths = [max(len(r[i]) for r in rows) for i in range(ncols - 1)]
    out = []
    for r in rows:
        parts = [r[i].ljust(widths[i]) for i in range(ncols - 1)] + [r[-1]]
        out.append("  ".join(parts))
    return out


def full_rows(runs: Sequence[Run], cwd: Path, start: int = 1) -> list[str]:
    data = []
    for i, run in enumerate(runs, start):
        op, started, st, label = cells(run, cwd)
        data.append([f"[{i}:{run.short_id}]", op, started, st, label])
    return table(data)


def simple_rows(runs: Sequence[Run], cwd: Path, start: int = 1) -> list[str]:
    data = []
    for i, run in enumerate(runs, start):
        op, _, st, label = cells(run, cwd)
        data.append([f"[{i}]", op, st, label])
    return table(data)


def short_rows(runs: Sequence[Run], cwd: Path) -> list[str]:
    """Rows with ``[SHORT]`` in place of the index (confirmations, --needed)."""
    data = []
    for run in runs:
        op, started, st, label = cells(run, cwd)
        data.append([f"[{run.short_id}]", op, started, st, label])
    return table(data)
