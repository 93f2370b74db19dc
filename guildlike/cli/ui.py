"""The terminal side of the library's ``UI``: log lines, messages, process output."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ..context import NullUI
from ..store.run import Run
from ..util.text import escape_lines, escape_text
from . import rows


class TerminalUI:
    """Writes are serialised: trials running in parallel threads never mix
    within one write."""

    def __init__(self, cwd: Path | None = None) -> None:
        self._cwd = cwd or Path(os.getcwd())
        self._progress_shown = False
        self._lock = threading.RLock()

    def _clear_progress(self) -> None:
        if self._progress_shown:
            sys.stderr.write("\r\033[K")
            self._progress_shown = False

    def info(self, msg: str) -> None:
        self._log(f"INFO: [guildlike] {escape_text(msg)}")

    def warning(self, msg: str) -> None:
        self._log(f"WARNING: {escape_text(msg)}")

    def _log(self, line: str) -> None:
        with self._lock:
            self._clear_progress()
            sys.stdout.flush()
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def message(self, msg: str) -> None:
        with self._lock:
            self._clear_progress()
            sys.stdout.write(escape_lines(msg) + "\n")
            sys.stdout.flush()

    def note(self, msg: str) -> None:
        with self._lock:
            self._clear_progress()
            sys.stdout.flush()
            sys.stderr.write(escape_lines(msg) + "\n")
            sys.stderr.flush()

    def stream(self, data: bytes, err: bool) -> None:
        with self._lock:
            self._clear_progress()
            f = sys.stderr if err else sys.stdout
            f.flush()
            f.buffer.write(data)
            f.buffer.flush()

    def progress(self, msg: str) -> None:
        if sys.stderr.isatty():
            with self._lock:
                sys.stderr.write(f"\r\033[K{escape_text(msg)}")
                sys.stderr.flush()
                self._progress_shown = True


    def runs(self, runs: Sequence[Run]) -> None:
        for line in rows.short_rows(runs, self._cwd):
            self.message(f"  {line}")

    def table(self, data: list[list[str]]) -> None:
        for line in rows.table(data):
            self.message(line)


class QuietUI(NullUI):
    """``run -q``: only warnings and notes are printed, on stderr (the run's
    output is still recorded)."""

    def __init__(self) -> None:
        self._terminal = TerminalUI()

    def warning(self, msg: str) -> None:
        self._terminal.warning(msg)

    def note(self, msg: str) -> None:
        self._terminal.note(msg)


def err(msg: str) -> None:
    """A message on stderr; control characters in it are escaped (see util/text.py)."""
    sys.stdout.flush()
    sys.stderr.write(escape_lines(msg) + "\n")
    sys.stderr.flush()


def out(msg: str) -> None:
    """Lines on stdout; control characters within each line are escaped, so
    callers escape a value that may hold a newline before joining lines."""
    sys.stdout.write(escape_lines(msg) + "\n")
    sys.stdout.flush()
