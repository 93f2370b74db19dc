"""Placing an archive's entries in a private staging folder, safely.

Entry names are checked as text first (``ID/...`` as Guild lays out an
archive, or ``runs/ID/...`` as older guildlike exports did; no absolute
path, no ``..``, a valid run id). They are then written the way the kernel will
see them: each folder is opened relative to its parent with
``O_NOFOLLOW``, so no entry is ever written through a link, whatever
links came before it. Once every entry is in place, each link is resolved
for real (``realpath``) and must end inside one of the imported runs (or,
for a run already in the home that the import keeps, inside that run).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import TransferError
from ..store import runids
from ..util.files import is_within, remove_tree
from .archive import Entry, Limits, Source

# Markers of a live process: meaningless in another home (see status.py).
DROPPED = (".guild/LOCK", ".guild/PENDING")
_CHUNK = 1024 * 1024


NOCOPY = ".guild-nocopy"  # the empty marker file at the top of a Guild archive
LEGACY = ("runs",)  # the prefix of an older guildlike archive's entries


def layout(entries: list[Entry]) -> tuple[str, ...]:
    """The folders an archive's runs are in: ``()`` (Guild's layout), or
    ``("runs",)`` when it has a ``runs`` folder at the top (exports of
    earlier guildlike versions)."""
    tops = {(PurePosixPath(e.arc).parts or ("",))[0] for e in entries if e.arc != NOCOPY}
    return LEGACY if "runs" in tops else ()


def skipped_entry(entry: Entry, prefix: tuple[str, ...]) -> bool:
    """The archive's own entries, not part of a run: the marker, the ``runs`` folder."""
    return entry.arc == NOCOPY or (bool(prefix) and entry.arc == "/".join(prefix))


@dataclass
class Placed:
    entry: Entry
    rid: str
    inner: str  # path inside the run; "" for the run folder itself


def check_name(entry: Entry, prefix: tuple[str, ...] = LEGACY) -> Placed:
    """Where a safe entry goes, or TransferError. ``prefix`` is the archive's
    ``layout``."""
    arc = entry.arc
    if arc.startswith(("/", "\\")) or (len(arc) > 1 and arc[1] == ":"):
        raise TransferError(f"refusing archive entry {arc!r}: absolute path")
    parts = PurePosixPath(arc).parts
    if ".." in parts:
        raise TransferError(f"refusing archive entry {arc!r}: '..' in path")
    n = len(prefix)
    if len(parts) < n + 1 or parts[:n] != prefix:
        raise TransferError(f"refusing archive entry {arc!r}: not under runs/")
    rid = parts[n]
    if not runids.is_valid(rid):
        raise TransferError(f"refusing run folder {rid!r}: a run id is {runids.RULE}")
    inner = "/".join(parts[n + 1 :])
    if entry.kind == "other":
        raise TransferError(f"refusing archive entry {arc!r}: not a file, folder or link")
    if not inner and entry.kind != "dir":
        raise TransferError(f"refusing archive entry {arc!r}: a run must be a folder")
    if entry.kind == "link" and (parts[n + 1 : n + 2] == (".guild",)):
        raise TransferError(f"refusing link {arc!r}: links are not allowed in a run's .guild folder")
    return Placed(entry, rid, inner)


def dropped(p: Placed) -> bool:
    return any(p.inner == d or p.inner.startswith(d + "/") for d in DROPPED)


def check_link_text(arc: str, target: str, ids: set[str], prefix: tuple[str, ...] = LEGACY) -> None:
    """The link as written must stay inside the imported runs (a first,
    textual check; ``check_links`` resolves it for real)."""
    if not target or "\0" in target:
        raise TransferError(f"refusing link {arc!r} -> {target!r}: empty or invalid target")
    if os.path.isabs(target):
        raise TransferError(f"refusing link {arc!r} -> {target!r}: absolute target")
    resolved = os.path.normpath(os.path.join(os.path.dirname(arc), target))
    parts = PurePosixPath(resolved.replace(os.sep, "/")).parts
    n = len(prefix)
    if len(parts) < n + 1 or parts[:n] != prefix or parts[n] not in ids:
        raise TransferError(f"refusing link {arc!r} -> {target!r}: points outside the imported runs")


class Writer:
    """Writes entries under ``root`` (the staging folder), never through a link."""

    def __init__(self, root: Path, source: Source, limits: Limits) -> None:
        self.root = root
        self.source = source
        self.limits = limits
        self.written = 0

    def _open_dir(self, parts: list[str], arc: str) -> int:
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts:
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
                try:
                    nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as e:
                    if e.errno in (errno.ELOOP, errno.ENOTDIR):
                        msg = f"refusing archive entry {arc!r}: its path goes through a link or a file"
                        raise TransferError(msg) from None
                    raise
                os.close(fd)
                fd = nfd
        except BaseException:
            os.close(fd)
            raise
        return fd

    def place(self, p: Placed, target: str | None) -> None:
        parts = [p.rid] + ([part for part in p.inner.split("/") if part] if p.inner else [])
        if p.entry.kind == "dir":
            os.close(self._open_dir(parts, p.entry.arc))
            return
        dfd = self._open_dir(parts[:-1], p.entry.arc)
        try:
            if p.entry.kind == "link":
                self._link(dfd, parts[-1], target or "", p.entry.arc)
            else:
                self._file(dfd, parts[-1], p.entry)
        finally:
            os.close(dfd)

    def _link(self, dfd: int, name: str, target: str, arc: str) -> None:
        try:
            os.symlink(target, name, dir_fd=dfd)
        except FileExistsError:
            raise TransferError(f"refusing archive entry {arc!r}: it appears twice") from None

    def _file(self, dfd: int, name: str, entry: Entry) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        try:
            fd = os.open(name, flags, 0o666, dir_fd=dfd)
        except FileExistsError:
            raise TransferError(f"refusing archive entry {entry.arc!r}: it appears twice") from None
        with os.fdopen(fd, "wb") as out, self.source.open_file(entry) as f_in:
            while True:
                block = f_in.read(_CHUNK)
                if not block:
                    break
                self.written += len(block)  # counted, not taken from the header
                if self.written > self.limits.max_bytes:
                    raise self.limits.too_big(self.written)
                out.write(block)


def check_links(staging: Path, links: list[Placed], ids: set[str], runs_dir: Path, kept: set[str]) -> None:
    """Each link, resolved by the kernel's rules, ends in an imported run.

    ``kept`` are ids the import leaves as they are in the home: their
    staged copy is swapped for a link to the home's run first, so that a
    link into them is judged by what it will reach once imported.
    """
    for rid in kept:
        staged = staging / rid
        if os.path.lexists(staged):
            _remove(staged)
        os.symlink(runs_dir / rid, staged)
    real_staging = os.path.realpath(staging)
    real_runs = os.path.realpath(runs_dir)
    allowed = [os.path.join(real_runs if rid in kept else real_staging, rid) for rid in ids]
    for p in links:
        real = os.path.realpath(staging / p.rid / p.inner)
        if not any(is_within(real, base) for base in allowed):
            raise TransferError(f"refusing link {p.entry.arc!r}: it resolves outside the imported runs")


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        remove_tree(path)
