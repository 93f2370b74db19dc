"""The one exception hierarchy of guildlike, and its exit codes.

Every error carries the exit status the CLI should end with, so the library
never calls ``sys.exit``. The CLI's single handler (``guildlike.cli.main``)
prints ``message`` (prefixed with ``guildlike: `` unless ``prefix`` is false),
then each hint line, and exits with ``exit_code``.

Exit codes, in one place:

====  =====================================================================
code  meaning
====  =====================================================================
0     success; also a ``--needed`` skip
1     an error (``GuildlikeError`` and its subclasses unless listed below),
      a trial or step that failed
2     bad command-line usage (``UsageError``, as click does)
4     the user answered no at a prompt (``Aborted``)
N     a run whose process exited N (``RunFailed``)
130   stopped by SIGINT (128 + 2); 143 by SIGTERM (128 + 15)
====  =====================================================================

Errors about a thing are built from its fields (``RunBusy(run_id,
"delete")``), so each message is written once and tests can check fields.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ABORTED = 4
EXIT_SIGNAL_BASE = 128


class GuildlikeError(Exception):
    exit_code: int = EXIT_ERROR
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

    exit_code = EXIT_USAGE


class Aborted(GuildlikeError):
    """The user answered no at a prompt (exit 4, no message)."""

    exit_code = EXIT_ABORTED


class GuildfileError(GuildlikeError):
    """guild.yml cannot be read or is invalid."""


class OpDefError(GuildlikeError):
    """An operation cannot be resolved."""


class FlagError(GuildlikeError):
    """A flag value is invalid or a flag is unknown."""


class RangeError(GuildlikeError):
    """A time range (``--started``) cannot be parsed."""


class RunNotFound(GuildlikeError):
    """A run spec matches no run."""


class AmbiguousRun(GuildlikeError):
    prefix = False


class InvalidRunId(GuildlikeError):
    """A run id that cannot name a run folder."""


class NoSuchComment(GuildlikeError):
    """``comment --delete N`` for a run without comment N (nothing is deleted)."""

    def __init__(self, run_id: str, number: int) -> None:
        super().__init__(
            f"run {run_id[:8]} has no comment {number}",
            [f"Try 'guildlike comment --list {run_id[:8]}' to see its comments."],
        )
        self.run_id = run_id
        self.number = number


class RunStoreError(GuildlikeError):
    """A run directory or attribute cannot be read or written."""


class CorruptAttr(RunStoreError):
    """An attribute file exists but cannot be parsed."""


class RunBusy(GuildlikeError):
    """An action that needs a stopped run found it running (or claimed by another process)."""

    def __init__(self, run_id: str, action: str, other_process: bool = False) -> None:
        self.run_id = run_id
        self.action = action
        self.other_process = other_process
        hint = f"Stop it first with 'guildlike runs stop {run_id}' or wait for it to finish."
        if action == "delete":
            msg = f"cannot delete running run {run_id}"
        elif action in ("replace", "export"):
            msg = f"cannot {action} run {run_id}: it is running"
        else:
            msg = f"run {run_id} is still running"
            if other_process:
                msg += f" (another process is {_ING.get(action, action + 'ing')} it)"
        super().__init__(msg, [hint])


_ING = {"restart": "restarting", "start": "starting"}


class StepLinkError(GuildlikeError):
    """A pipeline's step link is not what restart expects."""

    @classmethod
    def not_a_link(cls, link: Path) -> StepLinkError:
        return cls(f"unexpected step run link {link}: expected symlink")

    @classmethod
    def outside(cls, link: Path, target: Path | str) -> StepLinkError:
        return cls(f"step run link {link} points outside the home's runs: {target}")


class StructureChanged(GuildlikeError):
    """A pipeline's step list changed since the run recorded it."""


class DependencyError(GuildlikeError):
    """A required upstream run or file cannot be resolved."""

    def __init__(self, uri: str, resource: str, reason: str) -> None:
        self.uri = uri
        self.resource = resource
        self.reason = reason
        super().__init__(
            f"run failed because a dependency was not met: could not resolve '{uri}' in {resource} resource: {reason}"
        )


class DependencySourceError(GuildlikeError):
    """A ``file:`` source that cannot be used; ``missing`` when it does not exist."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        self.reason = reason
        self.missing = missing
        super().__init__(reason)


class TransferError(GuildlikeError):
    """An export or import cannot be done."""


class ColumnSpecError(UsageError):
    """A ``compare`` column spec cannot be parsed (exit 2, a usage error)."""

    def __init__(self, spec: str, why: str) -> None:
        self.spec = spec
        self.why = why
        hint = "Try 'guildlike compare --help' for more information."
        super().__init__(f"invalid column spec '{spec}': {why}", [hint])


class DiffError(GuildlikeError):
    """``diff`` cannot compare what it was asked to (two runs are needed, a tool that cannot run)."""
class ViewError(GuildlikeError):
    """``view`` cannot serve or export: a port in use, a file that cannot be written."""


class BadRequest(GuildlikeError):
    """A ``view`` request that cannot be answered; ``status`` is its HTTP status (400, 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MissingExtra(GuildlikeError):
    """A feature needs an optional extra that is not installed."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs pip install 'guildlike[{extra}]'")
        self.feature, self.extra = feature, extra


class ExecutorError(GuildlikeError):
    """An executor cannot take runs: a missing optional extra, a bad address, no scheduler."""

    def __init__(self, executor: str, reason: str) -> None:
        self.executor = executor
        self.reason = reason
        super().__init__(f"executor {executor}: {reason}")


class RunFailed(GuildlikeError):
    """An operation's process exited non-zero; its output already said why.

    ``message`` is empty: the CLI prints nothing more and exits with the
    run's exit status.
    """

    def __init__(self, exit_code: int, message: str = "") -> None:
        super().__init__(message, exit_code=exit_code if exit_code > 0 else EXIT_ERROR)


class Interrupted(Exception):
    """guildlike was asked to stop (SIGINT/SIGTERM) while a run was going.

    Not a ``GuildlikeError``: it unwinds the run being recorded, which turns
    it into ``RunFailed(128 + signum)``.
    """

    def __init__(self, signum: int, exit_code: int = 0) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = exit_code
