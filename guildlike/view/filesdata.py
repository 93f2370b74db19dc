"""A run's files and output, for reading only, never outside the run's folder.

A requested path is refused when it is absolute, holds ``..`` or a NUL,
names the run's ``.guild`` folder (the output and attributes have their own
endpoints; the environment may hold secrets), or resolves, through links,
anywhere but inside the run's own folder. A pipeline's step links are
listed with the run they lead to, and never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import BadRequest
from ..store import files, links
from ..store.run import Run
from ..util.files import is_within

MAX_LISTED = 5000
OUTPUT_CHUNK = 256 * 1024


@dataclass
class FileBody:
    """A file to send as it is: opened already, so what was checked is what is sent."""

    fd: int
    size: int
    name: str


def checked_path(run: Run, rel: str) -> Path:
    """``rel`` inside the run, resolved; ``BadRequest`` 400 for a path that tries to leave, 404 for one that does."""
    if not rel:
        raise BadRequest(400, "path is required")
    if "\0" in rel or "\\" in rel:
        raise BadRequest(400, f"invalid path {rel!r}")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or ".." in parts:
        raise BadRequest(400, f"path {rel!r} is outside the run directory")
    root = os.path.realpath(run.path)
    real = os.path.realpath(run.path / rel)
    if not is_within(real, root) or Path(os.path.relpath(real, root)).parts[:1] == (".guild",):
        raise BadRequest(404, f"no file {rel!r} in run {run.short_id}")
    return Path(real)


def open_file(run: Run, rel: str) -> FileBody:
    real = checked_path(run, rel)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise BadRequest(404, f"no file {rel!r} in run {run.short_id}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise BadRequest(400, f"{rel!r} is not a file")
    return FileBody(fd, st.st_size, real.name)


def _entry(run: Run, root: str, rel: str) -> dict[str, Any]:
    path = run.path / rel.rstrip("/")
    entry: dict[str, Any] = {"path": rel.rstrip("/"), "dir": rel.endswith("/")}
    if os.path.islink(path) and not is_within(os.path.realpath(path), root):
        entry["dir"] = False
        entry["run"] = links.target_id(path) if links.state(path) == links.RUN else None
        return entry
    if not entry["dir"]:
        try:
            entry["size"] = os.stat(path).st_size
        except OSError:
            entry["size"] = None
    return entry


def listing(run: Run) -> dict[str, Any]:
    """The run's files (not ``.guild``), directories ending with ``/`` in ``files.list_files``."""
    root = os.path.realpath(run.path)
    names = files.list_files(run.path, None)
    out = [_entry(run, root, rel) for rel in names[:MAX_LISTED]]
    return {"files": out, "truncated": len(names) > MAX_LISTED}


def output(run: Run, offset: int) -> dict[str, Any]:
    """The run's output from byte ``offset``, up to ``OUTPUT_CHUNK`` bytes of whole lines when it is cut."""
    path = run.guild_dir / "output"
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start = min(offset, size)
            f.seek(start)
            data = f.read(OUTPUT_CHUNK)
    except FileNotFoundError:
        size, start, data = 0, 0, b""
    if len(data) == OUTPUT_CHUNK and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]
    return {
        "offset": start, "next": start + len(data), "size": size,
        "text": data.decode("utf-8", errors="replace"), "status": run.status,
    }
