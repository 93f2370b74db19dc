"""The index journal: run ids whose attributes guildlike changed, one per line.

Every attribute write or delete by guildlike appends the run's id to
``HOME/index.journal`` (a single short ``O_APPEND`` write, atomic between
processes). The index reads the journal from where it stopped, so a listing
re-reads just the runs that changed instead of checking every run folder.
Changes made by other tools are found by the index's periodic full scan.
"""

from __future__ import annotations

import os
from pathlib import Path

NAME = "index.journal"
ROTATE_BYTES = 4 * 1024 * 1024


def journal_path(home: Path) -> Path:
    return home / NAME


def note(run_dir: Path) -> None:
    """Record that the run in ``run_dir`` changed (best effort, never raises)."""
    runs = run_dir.parent
    if runs.name != "runs" or runs.parent.name == "trash" or run_dir.name.startswith("."):
        return
    if not os.path.exists(runs.parent / "index.sqlite"):
        return  # no index yet: the first listing reads every run anyway
    try:
        fd = os.open(runs.parent / NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        os.write(fd, (run_dir.name + "\n").encode("utf-8"))
    except OSError:
        pass
    finally:
        os.close(fd)


def read_since(home: Path, offset: int, inode: int) -> tuple[set[str], int, int, bool]:
    """(ids, new offset, inode, complete) reading the journal from ``offset``.

    ``complete`` is false when the journal is not the one the offset refers
    to (replaced or truncated): the caller must then check every run.
    """
    path = journal_path(home)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return set(), 0, 0, offset == 0 and inode == 0
    except OSError:
        # Unreadable (a folder, no permission): not trusted, every run is checked.
        return set(), 0, 0, False
    with f:
        st = os.fstat(f.fileno())
        complete = True
        if inode and st.st_ino != inode or st.st_size < offset:
            offset, complete = 0, False
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1  # a line still being written is read next time
    ids = {line for line in data[:end].decode("utf-8", errors="replace").split("\n") if line}
    return ids, offset + end, st.st_ino, complete


def rotate_if_large(home: Path, offset: int) -> bool:
    """Start a new journal once the old one is large and fully read."""
    path = journal_path(home)
    try:
        if os.path.getsize(path) < ROTATE_BYTES or os.path.getsize(path) != offset:
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
