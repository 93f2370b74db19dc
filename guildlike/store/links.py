"""Links between runs: a pipeline's step links and a batch's trial links.

Both are relative symlinks in the parent run's folder, ``NAME -> ../RUN_ID``.
This module is the one place that reads, makes and checks them.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StepLinkError
from .run import Run

MISSING, DANGLING, RUN, OTHER = "missing", "dangling", "run", "other"


def state(link: Path) -> str:
    """``missing``, ``dangling`` (a link to nothing), ``run`` (a link to a folder) or ``other``."""
    if not os.path.lexists(link):
        return MISSING
    if not os.path.islink(link):
        return OTHER
    return RUN if os.path.isdir(link) else DANGLING


def target_id(link: Path) -> str:
    """The run id a link names (the last part of its target), whether or not that run exists."""
    return os.path.basename(os.readlink(link))


def linked_ids(run_dir: Path) -> list[str]:
    """Ids of the runs that links in ``run_dir`` lead to, by link name."""
    out: list[str] = []
    try:
        names = sorted(os.listdir(run_dir))
    except OSError:
        return out
    for name in names:
        p = run_dir / name
        if os.path.islink(p) and os.path.isdir(p):
            out.append(target_id(p))
    return out


def run_link_names(run_dir: Path) -> list[str]:
    """Names of the links in ``run_dir`` that point at a sibling run (``../ID``), found or not."""
    try:
        names = sorted(os.listdir(run_dir))
    except OSError:
        return []
    return [n for n in names if os.path.islink(run_dir / n) and os.path.dirname(os.readlink(run_dir / n)) == ".."]


def point(link: Path, run_id: str) -> None:
    """Make or replace ``link`` so it names ``run_id``, atomically."""
    tmp = link.with_name(f".{link.name}.tmp-link")
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(os.path.join("..", run_id), tmp)
    os.replace(tmp, link)


def add(run_dir: Path, run_id: str) -> None:
    """Link ``run_id`` from ``run_dir`` under its own id (a batch's trial link)."""
    os.symlink(os.path.join("..", run_id), run_dir / run_id)


def checked_target(run: Run, name: str) -> Run | None:
    """The run a step link leads to, None when there is none (missing or dangling).

    Raises ``StepLinkError`` when the link is not a symlink, or leads outside
    the home's runs folder: a restart must stop before it changes anything.
    """
    link = run.path / name
    st = state(link)
    if st == OTHER:
        raise StepLinkError.not_a_link(link)
    if st != RUN:
        return None
    target = Path(os.path.realpath(link))
    if str(target.parent) != os.path.realpath(run.path.parent):
        raise StepLinkError.outside(link, target)
    return Run(target.name, target)
