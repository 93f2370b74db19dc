"""A pipeline's output: what its steps print, recorded in the pipeline run too.

While a pipeline runs, the UI its steps talk to is a ``TeeUI``: every log
line, message and byte of step output goes on to the user and is also
appended to the pipeline's ``.guild/output``, as Guild records it. A
pipeline inside a pipeline tees into its own output, which tees into its
parent's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from ..context import UI
from ..store.run import Run
from ..util.files import store_error
from .lifecycle import archive_output


class TeeUI:
    def __init__(self, inner: UI, out: IO[bytes]) -> None:
        self._inner = inner
        self._out = out
        self._lock = threading.Lock()

    def _record(self, data: bytes) -> None:
        with self._lock:
            try:
                self._out.write(data)
                self._out.flush()
            except OSError:
                pass  # the steps' own outputs are the record that counts

    def info(self, msg: str) -> None:
        self._inner.info(msg)
        self._record(f"INFO: [guildlike] {msg}\n".encode("utf-8", "surrogateescape"))

    def warning(self, msg: str) -> None:
        self._inner.warning(msg)
        self._record(f"WARNING: {msg}\n".encode("utf-8", "surrogateescape"))

    def note(self, msg: str) -> None:
        self._inner.note(msg)
        self._record(f"{msg}\n".encode("utf-8", "surrogateescape"))

    def message(self, msg: str) -> None:
        self._inner.message(msg)
        self._record(f"{msg}\n".encode("utf-8", "surrogateescape"))

    def stream(self, data: bytes, err: bool) -> None:
        self._inner.stream(data, err)
        self._record(data)

    def progress(self, msg: str) -> None:
        self._inner.progress(msg)

    def runs(self, runs: Sequence[Run]) -> None:
        self._inner.runs(runs)

    def table(self, rows: list[list[str]]) -> None:
        self._inner.table(rows)


@contextmanager
def recording_output(run: Run, ui: UI) -> Iterator[TeeUI]:
    """A UI that also writes to ``run``'s output (a restart keeps the previous one as ``output.N``)."""
    archive_output(run)
    path = run.guild_dir / "output"
    try:
        out = open(path, "ab")
    except OSError as e:
        raise store_error(e, path) from e
    with out:
        yield TeeUI(ui, out)
