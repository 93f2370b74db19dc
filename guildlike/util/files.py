"""File helpers: atomic writes and safe removal."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import RunStoreError


def is_within(path: str, base: str) -> bool:
    """True when the (already resolved) ``path`` is ``base`` or below it; text only, no link is followed."""
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def atomic_write(path: Path | str, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old or the new file, never half.

    The data goes to a temporary file in the same directory, is flushed and
    renamed over ``path``: a process killed at any moment (even by kill -9)
    leaves the old file or the new one. (There is no fsync: a power cut may
    still lose the latest writes.)
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    except OSError as e:
        raise store_error(e, path) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
        os.replace(tmp, path)
    except BaseException as e:  # an OSError, or a signal turned into an exception
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise store_error(e, path) from e
        raise


def store_error(e: OSError, path: Path) -> RunStoreError:
    """A one-line error for an ``OSError`` met writing ``path``."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return RunStoreError(f"cannot write {path}: no space left on device")
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return RunStoreError(f"cannot write {path}: {e.strerror.lower() if e.strerror else e}")
    return RunStoreError(f"cannot write {path}: {e.strerror or e}")


def ensure_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise store_error(e, path) from e


def remove_tree(path: Path) -> None:
    """Remove a directory tree without following symlinks out of it."""
    try:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
    except FileNotFoundError:  # a part removed meanwhile: remove the rest
        if os.path.lexists(path):
            remove_tree(path)
    except OSError as e:
        what = getattr(e, "filename", None) or path
        raise RunStoreError(f"cannot remove {what}: {(e.strerror or str(e)).lower()}") from e


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
