"""The context passed down from the CLI into the library.

No module-level mutable state: the home, the working directory, the
environment and the user-interface sink travel together in a ``Context``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .store.run import Run


class UI(Protocol):
    """Where the library sends what a user should see.

    The CLI provides the implementation; the library never prints.
    """

    def info(self, msg: str) -> None: ...  # a log line on stderr
    def warning(self, msg: str) -> None: ...  # a WARNING line on stderr
    def message(self, msg: str) -> None: ...  # a line on stdout
    def note(self, msg: str) -> None: ...  # a plain line on stderr (what a run resolves)
    def stream(self, data: bytes, err: bool) -> None: ...  # process output
    def progress(self, msg: str) -> None: ...  # transient status (terminal only)
    def runs(self, runs: Sequence[Run]) -> None: ...  # a short row per run, on stdout
    def table(self, rows: list[list[str]]) -> None: ...  # aligned columns, on stdout


class NullUI:
    """A UI that discards everything (for library use and tests)."""

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def message(self, msg: str) -> None:
        pass

    def note(self, msg: str) -> None:
        pass

    def stream(self, data: bytes, err: bool) -> None:
        pass

    def progress(self, msg: str) -> None:
        pass

    def runs(self, runs: Sequence[Run]) -> None:
        pass

    def table(self, rows: list[list[str]]) -> None:
        pass


def default_home(env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    env = os.environ if env is None else env
    home = env.get("GUILDLIKE_HOME")
    if home:
        return Path(home).expanduser().absolute()
    return Path("~/.guildlike").expanduser()


@dataclass
class Context:
    home: Path
    cwd: Path
    ui: UI = field(default_factory=NullUI)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # Facts worth computing once per command (e.g. a project's git identity).
    cache: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, ui: UI | None = None) -> Context:
        env = dict(os.environ)
        return cls(home=default_home(env), cwd=Path(os.getcwd()), ui=ui or NullUI(), env=env)

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def trash_dir(self) -> Path:
        return self.home / "trash" / "runs"
