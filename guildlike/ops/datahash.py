"""Hashes of the files a run produced or changed.

Recorded when a run ends in ``.guild/data.json``: each file's sha256 and
size, by path relative to the run directory. Left out: ``.guild``, links
(dependencies linked in by ``requires:``, step links) and the run's copy of
the project source unless the run changed it. Files larger than
``GUILDLIKE_HASH_LIMIT`` bytes (default 1 GiB) get a fingerprint instead:
``fp:`` + sha256 of the size, the first MiB and the last MiB.

Only regular files are hashed: a FIFO, socket or device in the run
directory is left out (opening a FIFO would block). A file name that is
not UTF-8 is kept as the file system gives it (``os.fsdecode``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from ..util.files import atomic_write

CHUNK = 1024 * 1024
DEFAULT_LIMIT = 1024 * 1024 * 1024


def _open_regular(path: Path) -> int | None:
    """A descriptor of ``path`` when it is a regular file (not a link, FIFO,
    socket or device), else None; ``O_NONBLOCK`` keeps a FIFO from blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    os.close(fd)
    return None


def _file_hash(path: Path, size: int, limit: int) -> str | None:
    h = hashlib.sha256()
    fd = _open_regular(path)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as f:
        if size > limit:
            h.update(str(size).encode())
            h.update(f.read(CHUNK))
            f.seek(max(size - CHUNK, 0))
            h.update(f.read(CHUNK))
            return "fp:" + h.hexdigest()
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def hash_outputs(run_dir: Path, source_files: dict[str, str], limit: int = DEFAULT_LIMIT) -> dict[str, dict[str, Any]]:
    """``{path: {"sha256": ..., "size": ...}}`` for produced or changed files.

    ``source_files`` maps the source snapshot's paths to their sha256; a
    source file whose content still matches is left out.
    """
    out: dict[str, dict[str, Any]] = {}
    for dirpath, dirnames, filenames in os.walk(run_dir):
        rel_dir = os.path.relpath(dirpath, run_dir)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d != ".guild"]
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            try:
                st = os.lstat(full)
                if not stat.S_ISREG(st.st_mode):
                    continue
                digest = _file_hash(Path(full), st.st_size, limit)
            except OSError:
                continue
            if digest is None:
                continue
            size = st.st_size
            if source_files.get(rel) == digest:
                continue
            out[rel] = {"sha256": digest, "size": size}
    return dict(sorted(out.items()))


def data_path(run_dir: Path) -> Path:
    return run_dir / ".guild" / "data.json"


def record(run_dir: Path, source_files: dict[str, str], limit: int = DEFAULT_LIMIT) -> str:
    """Hash the run's outputs, store them, return one digest of them all."""
    hashes = hash_outputs(run_dir, source_files, limit)
    atomic_write(data_path(run_dir), json.dumps(hashes, indent=1, sort_keys=True))
    return digest_of(hashes)


def digest_of(hashes: dict[str, dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for rel in sorted(hashes):
        h.update(os.fsencode(rel) + b"\0" + hashes[rel]["sha256"].encode() + b"\n")
    return h.hexdigest()


def read(run_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        data: dict[str, dict[str, Any]] = json.loads(data_path(run_dir).read_text())
        return data
    except (OSError, ValueError):
        return {}
