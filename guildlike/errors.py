"""The one exception hierarchy of guildlike.

Every error carries the exit status the CLI should end with, so the library
never calls ``sys.exit``. The CLI's single handler prints ``message`` (prefixed
with ``guildlike: `` unless ``prefix`` is false) and then each hint line.
"""

from __future__ import annotations


class GuildlikeError(Exception):
    exit_code: int = 1
    prefix: bool = True

    def __init__(
        self,
        message: str,
        hints: list[str] | None = None,
        exit_code: int | None = None,
        prefix: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hints = list(hints or [])
        if exit_code is not None:
            self.exit_code = exit_code
        if prefix is not None:
            self.prefix = prefix


class UsageError(GuildlikeError):
    """Bad command-line usage (exit 2, like click)."""

    exit_code = 2


class Aborted(GuildlikeError):
    """The user answered no at a prompt (exit 4, no message)."""

    exit_code = 4


class GuildfileError(GuildlikeError):
    """guild.yml cannot be read or is invalid."""


class OpDefError(GuildlikeError):
    """An operation cannot be resolved."""


class FlagError(GuildlikeError):
    """A flag value is invalid or a flag is unknown."""


class RunNotFound(GuildlikeError):
    """A run spec matches no run."""


class AmbiguousRun(GuildlikeError):
    prefix = False


class RunStoreError(GuildlikeError):
    """A run directory or attribute cannot be read or written."""


class RunBusy(GuildlikeError):
    """An operation that needs a stopped run found it running."""


class StepLinkError(GuildlikeError):
    """A pipeline's step link is not what restart expects."""


class RunFailed(GuildlikeError):
    """An operation's process exited non-zero; its output already said why.

    ``message`` is empty: the CLI prints nothing more and exits with the
    run's exit status.
    """

    def __init__(self, exit_code: int, message: str = "") -> None:
        super().__init__(message, exit_code=exit_code if exit_code > 0 else 1)
