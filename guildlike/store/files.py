"""Listing and reading the files of a run, confined to the run directory.

A link a run holds may lead into the runs next to it (a pipeline's step
links do), never out of them: a link that resolves outside the folder
holding the run (the home's ``runs``, or the trash's) is listed like a
dangling link (no trailing ``/``) and never followed, and ``read_file``
refuses a path that resolves outside. Only regular files are read: a FIFO
or a device would block or never end.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path

from ..errors import GuildlikeError


def _check_inside(run_dir: Path, rel: str) -> None:
    if os.path.isabs(rel):
        raise GuildlikeError(f"path {rel} is outside the run directory")
    norm = os.path.normpath(rel)
    if norm == ".." or norm.startswith(".." + os.sep):
        raise GuildlikeError(f"path {rel} is outside the run directory")


def _root(run_dir: Path) -> str:
    """Where links of the run may lead: the folder holding it, resolved."""
    return os.path.realpath(run_dir.parent)


def _leads_out(path: Path, root: str) -> bool:
    real = os.path.realpath(path)
    return not (real == root or real.startswith(root.rstrip(os.sep) + os.sep))


def _walk(base: Path, show_all: bool, follow: bool) -> list[str]:
    out: list[str] = []
    root = _root(base)

    def visit(dirpath: Path, prefix: str, seen: set[tuple[int, int]]) -> None:
        try:
            names = sorted(os.listdir(dirpath))
        except OSError:
            return
        for name in names:
            if name.startswith(".") and not show_all:
                continue
            full = dirpath / name
            rel = prefix + name
            is_link = os.path.islink(full)
            is_dir = os.path.isdir(full) and not (is_link and _leads_out(full, root))
            if is_dir:
                out.append(rel + "/")
                if not is_link or follow:
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    visit(full, rel + "/", seen | {key})
            else:
                out.append(rel)

    visit(base, "", set())
    # Sorted as whole paths: "a-b.txt" and "a.txt" come before "a/".
    return sorted(out)


def list_files(run_dir: Path, path: str | None, show_all: bool = False, follow: bool = False) -> list[str]:
    """Paths relative to ``run_dir``, sorted; directories end with ``/``."""
    if path:
        _check_inside(run_dir, path)
        want_hidden = any(part.startswith(".") for part in Path(path).parts)
        entries = _walk(run_dir, show_all or want_hidden, follow)
        p = path.rstrip("/")
        return [
            e
            for e in entries
            if e.rstrip("/") == p or e.startswith(p + "/") or fnmatch.fnmatchcase(e.rstrip("/"), p)
        ]
    return _walk(run_dir, show_all, follow)


def read_file(run_dir: Path, rel: str) -> bytes:
    """The bytes of the regular file ``rel`` of the run, resolved for real."""
    _check_inside(run_dir, rel)
    target = run_dir / rel
    if _leads_out(target, _root(run_dir)):
        raise GuildlikeError(f"cannot read {rel}: it leads outside the runs through a link")
    try:
        fd = os.open(os.path.realpath(target), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise GuildlikeError(f"no such file {rel} in run {run_dir.name}") from None
    except OSError as e:
        raise GuildlikeError(f"cannot read {rel}: {(e.strerror or str(e)).lower()}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise GuildlikeError(f"{rel} is a directory")
        raise GuildlikeError(f"cannot read {rel}: not a regular file")
    with os.fdopen(fd, "rb") as f:
        return f.read()
