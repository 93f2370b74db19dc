"""TensorBoard event files: finding them in a run, reading their scalars, writing ours.

Reading and writing use the ``tensorboard`` package (``pip install
'guildlike[tensorboard]'``); without it ``available()`` is False and runs keep
only their own series. Scalars are read both as ``simple_value`` (tensorboardX,
torch.utils.tensorboard, Keras v1) and as scalar tensors (TF2 summaries).
"""

from __future__ import annotations

import importlib.util
import os
import struct
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from .series import Point

EXTRA_HINT = "event-file scalars need pip install 'guildlike[tensorboard]'"
OWN_SUFFIX = ".guildlike"


def available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def is_event_file(name: str) -> bool:
    return ".tfevents." in name and not name.endswith(".tmp")


def find(run_dir: Path, skip_guild: bool = False) -> list[Path]:
    """Event files anywhere under ``run_dir`` (links to other runs not followed).

    ``skip_guild`` leaves out ``.guild/`` (where output scalars are written as
    event files: a run that keeps its own series has them there already).
    """
    found: list[Path] = []
    for root, dirs, files in os.walk(run_dir):
        if root == str(run_dir) and skip_guild and ".guild" in dirs:
            dirs.remove(".guild")
        dirs.sort()
        found += [Path(root, f) for f in sorted(files) if is_event_file(f)]
    return found


def _value(v: Any, tensor_util: Any) -> float | None:
    kind = v.WhichOneof("value")
    if kind == "simple_value":
        return float(v.simple_value)
    if kind != "tensor":
        return None
    plugin = v.metadata.plugin_data.plugin_name
    if plugin and plugin != "scalars":
        return None
    try:
        arr = tensor_util.make_ndarray(v.tensor)
    except Exception:  # an unknown dtype: not a scalar we can read
        return None
    if getattr(arr, "ndim", 1) != 0:
        return None
    try:
        return float(arr)
    except (TypeError, ValueError):
        return None


def read(path: Path) -> list[Point]:
    """The scalars in one event file; a file cut short yields what came before."""
    from tensorboard.backend.event_processing.event_file_loader import (  # lazy: optional extra
        EventFileLoader,
    )
    from tensorboard.util import tensor_util  # lazy: optional extra

    points: list[Point] = []
    try:
        for event in EventFileLoader(str(path)).Load():
            if not event.HasField("summary"):
                continue
            for v in event.summary.value:
                val = _value(v, tensor_util)
                if val is not None:
                    points.append((v.tag, int(event.step), val, float(event.wall_time)))
    except Exception:  # a damaged file: keep what was read
        pass
    return points


def remove_own(guild_dir: Path) -> None:
    """Remove the event files of our output scalars in ``guild_dir`` (an earlier
    attempt's: its series is kept aside, its points go with it)."""
    for old in guild_dir.glob("*.tfevents.*" + OWN_SUFFIX):
        old.unlink(missing_ok=True)


class EventWriter:
    """Our output scalars appended to an event file in ``guild_dir`` (as Guild
    keeps them), a batch at a time: the tee adds each batch it parsed while the
    run runs, so the run's end has no event file left to write. Opened (and
    TensorBoard's protocol buffers imported) at the first batch."""

    def __init__(self, guild_dir: Path) -> None:
        now = time.time()
        self.path = guild_dir / f"events.out.tfevents.{now:.0f}.{os.uname().nodename}.{os.getpid()}{OWN_SUFFIX}"
        self._created = now
        self._file: Any = None
        self._encode: Callable[[Iterable[Point]], Iterable[bytes]] | None = None

    def add(self, points: Iterable[Point]) -> None:
        if self._encode is None:
            self._encode = _encoder()
            self._file = open(self.path, "ab")
            self._file.writelines(_records([_file_version(self._created)]))
        self._file.writelines(_records(self._encode(points)))
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def write(guild_dir: Path, points: Iterable[Point]) -> Path:
    """Our output scalars as an event file in ``guild_dir``, written whole (the
    file appears complete: written aside, then renamed into place)."""
    writer = EventWriter(guild_dir)
    final = writer.path
    writer.path = final.with_name(final.name + ".tmp")
    try:
        writer.add(points)
    finally:
        writer.close()
    os.replace(writer.path, final)
    return final


def _file_version(now: float) -> bytes:
    from tensorboard.compat.proto import event_pb2  # lazy: optional extra

    return bytes(event_pb2.Event(wall_time=now, file_version="brain.Event:2").SerializeToString())


def _encoder() -> Callable[[Iterable[Point]], Iterable[bytes]]:
    """Points as serialized events, each built by TensorBoard's protocol buffers
    (one event object reused: a new one per point costs half as much again)."""
    from tensorboard.compat.proto import event_pb2  # lazy: optional extra

    event = event_pb2.Event()
    serialize, clear = event.SerializeToString, event.Clear

    def encoded(points: Iterable[Point]) -> Iterable[bytes]:
        for key, step, value, t in points:
            clear()
            event.wall_time, event.step = t, step
            item = event.summary.value.add()  # anew: Clear() detaches the old summary
            item.tag, item.simple_value = key, value
            yield serialize()

    return encoded


_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


def _records(payloads: Iterable[bytes]) -> Iterable[bytes]:
    """Each payload framed as a TFRecord, the container of event files: its length
    (u64), the masked CRC-32C of the length (u32), the payload, its masked CRC-32C.

    TensorBoard's own ``RecordWriter`` frames the same, but with a pure-Python
    CRC (about 45 µs per event) behind a 0.2 s import; ``google-crc32c`` (in the
    ``tensorboard`` extra) computes it in C. Without it, TensorBoard's CRC is used.
    """
    crc = _crc32c()
    length, pack = _LENGTH.pack, _CRC.pack
    for data in payloads:
        head = length(len(data))
        yield b"".join((head, pack(_masked(crc(head))), data, pack(_masked(crc(data)))))


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _crc32c() -> Callable[[bytes], int]:
    try:
        import google_crc32c  # lazy: optional extra (tensorboard)
    except ImportError:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c  # lazy: optional extra

        return cast("Callable[[bytes], int]", crc32c)
    return cast("Callable[[bytes], int]", google_crc32c.value)
