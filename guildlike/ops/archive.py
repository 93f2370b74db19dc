"""Reading an export (a ``.zip`` file or a folder) as a list of entries.

Nothing here writes: ``extract`` places the entries. What an archive's
headers say is checked against the limits before anything is extracted,
and again while extracting (``Limits``), since headers can lie.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import TransferError

MAX_BYTES_ENV = "GUILDLIKE_IMPORT_MAX_BYTES"
MAX_ENTRIES_ENV = "GUILDLIKE_IMPORT_MAX_ENTRIES"
MAX_LINK_ENV = "GUILDLIKE_IMPORT_MAX_LINK"
_UTF8_NAME = 0x800  # zip flag: the entry's name is UTF-8


@dataclass(frozen=True)
class Limits:
    """What one import may hold: bytes of file content, entries, bytes of a link target."""

    max_bytes: int = 10 * 1024**3
    max_entries: int = 1_000_000
    max_link: int = 4096

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Limits:
        d = cls()
        return cls(
            _env_int(env, MAX_BYTES_ENV, d.max_bytes),
            _env_int(env, MAX_ENTRIES_ENV, d.max_entries),
            _env_int(env, MAX_LINK_ENV, d.max_link),
        )

    def too_big(self, total: int) -> TransferError:
        return TransferError(
            f"archive holds more than {self.max_bytes} bytes of files: refusing to import it "
            f"(set {MAX_BYTES_ENV} to raise the limit)"
        )

    def too_many(self) -> TransferError:
        return TransferError(
            f"archive holds more than {self.max_entries} entries: refusing to import it "
            f"(set {MAX_ENTRIES_ENV} to raise the limit)"
        )

    def link_too_long(self, arc: str) -> TransferError:
        return TransferError(
            f"refusing link {arc!r}: its target is longer than {self.max_link} bytes "
            f"(set {MAX_LINK_ENV} to raise the limit)"
        )


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise TransferError(f"invalid {name} {raw!r}: expected a number of at least 0")
    return value


@dataclass
class Entry:
    arc: str  # the entry's name in the archive, for messages
    kind: str  # "file", "dir", "link" or "other"
    size: int  # declared size (zip header) or lstat size
    ref: zipfile.ZipInfo | str  # how the source finds it again


class Source:
    """An export to read: ``entries`` then ``open_file`` and ``link_target``."""

    def entries(self, limits: Limits) -> list[Entry]:
        raise NotImplementedError

    def open_file(self, entry: Entry) -> IO[bytes]:
        raise NotImplementedError

    def link_target(self, entry: Entry, limits: Limits) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as a file name: names not flagged UTF-8 are raw bytes
    (as ``unzip`` takes them on Unix; zipfile decoded them as cp437)."""
    name = info.filename
    if not info.flag_bits & _UTF8_NAME:
        name = os.fsdecode(name.encode("cp437"))
    return name.rstrip("/")


class ZipSource(Source):
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf

    def entries(self, limits: Limits) -> list[Entry]:
        infos = self.zf.infolist()
        if len(infos) > limits.max_entries:
            raise limits.too_many()
        out, total = [], 0
        for info in infos:
            mode = info.external_attr >> 16
            name = _zip_name(info)
            if stat.S_ISLNK(mode):
                if info.file_size > limits.max_link:
                    raise limits.link_too_long(name)
                out.append(Entry(name, "link", info.file_size, info))
                continue
            kind = "dir" if info.is_dir() or stat.S_ISDIR(mode) else "file"
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                kind = "other"
            total += info.file_size
            if total > limits.max_bytes:
                raise limits.too_big(total)
            out.append(Entry(name, kind, info.file_size, info))
        return out

    def open_file(self, entry: Entry) -> IO[bytes]:
        assert isinstance(entry.ref, zipfile.ZipInfo)
        return self.zf.open(entry.ref)

    def link_target(self, entry: Entry, limits: Limits) -> str:
        assert isinstance(entry.ref, zipfile.ZipInfo)
        with self.zf.open(entry.ref) as f:
            data = f.read(limits.max_link + 1)  # the header's size may lie
        if len(data) > limits.max_link:
            raise limits.link_too_long(entry.arc)
        return os.fsdecode(data)

    def close(self) -> None:
        self.zf.close()


class DirSource(Source):
    """A folder export: its ``runs/...`` read without following links."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def entries(self, limits: Limits) -> list[Entry]:
        out: list[Entry] = []
        total = 0
        for dirpath, dirnames, filenames in os.walk(self.base):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                arc = PurePosixPath(*Path(os.path.relpath(full, self.base)).parts).as_posix()
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    kind = "link"
                    if st.st_size > limits.max_link:
                        raise limits.link_too_long(arc)
                else:
                    kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
                    total += st.st_size if kind == "file" else 0
                out.append(Entry(arc, kind, st.st_size, full))
                if len(out) > limits.max_entries:
                    raise limits.too_many()
                if total > limits.max_bytes:
                    raise limits.too_big(total)
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        return out

    def open_file(self, entry: Entry) -> IO[bytes]:
        assert isinstance(entry.ref, str)
        fd = os.open(entry.ref, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise TransferError(f"refusing archive entry {entry.arc!r}: not a regular file")
        return os.fdopen(fd, "rb")

    def link_target(self, entry: Entry, limits: Limits) -> str:
        assert isinstance(entry.ref, str)
        target = os.readlink(entry.ref)
        if len(os.fsencode(target)) > limits.max_link:
            raise limits.link_too_long(entry.arc)
        return target


def open_source(src: Path) -> Source:
    if not os.path.lexists(src):
        raise TransferError(f"{src} does not exist")
    try:
        if src.suffix == ".zip" or (src.is_file() and zipfile.is_zipfile(src)):
            return ZipSource(zipfile.ZipFile(src))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise TransferError(f"cannot read {src}: {e}") from None
    if not src.is_dir():
        raise TransferError(f"cannot read {src}: not a folder or a .zip file")
    return DirSource(src)
