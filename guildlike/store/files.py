"""Listing and reading the files of a run, confined to the run directory."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from ..errors import GuildlikeError


def _check_inside(run_dir: Path, rel: str) -> None:
    if os.path.isabs(rel):
        raise GuildlikeError(f"path {rel} is outside the run directory")
    norm = os.path.normpath(rel)
    if norm == ".." or norm.startswith(".." + os.sep):
        raise GuildlikeError(f"path {rel} is outside the run directory")


def _walk(base: Path, show_all: bool, follow: bool) -> list[str]:
    out: list[str] = []

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
            is_dir = os.path.isdir(full)
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
    _check_inside(run_dir, rel)
    target = (run_dir / rel)
    try:
        return target.read_bytes()
    except IsADirectoryError:
        raise GuildlikeError(f"{rel} is a directory") from None
    except FileNotFoundError:
        raise GuildlikeError(f"no such file {rel} in run {run_dir.name}") from None
