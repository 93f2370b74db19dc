"""The ``guildlike`` command: a lazy group and the one error handler.

Subcommands are imported only when used, so ``guildlike --help`` and a
listing start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from .. import __version__
from ..errors import GuildlikeError, UsageError
from ..util.text import escape_text

COMMANDS = {
    "run": ("guildlike.cli.run_cmd", "run", "Run an operation."),
    "runs": ("guildlike.cli.runs_cmd", "runs", "Show or manage runs."),
    "select": ("guildlike.cli.select_cmd", "select", "Select a run and print its id, directory or an attribute."),
    "ls": ("guildlike.cli.ls_cmd", "ls", "List the files of a run."),
    "cat": ("guildlike.cli.cat_cmd", "cat", "Show a file of a run, or its output."),
    "label": ("guildlike.cli.label_cmd", "label", "Set or change the labels of runs."),
    "tag": ("guildlike.cli.label_cmd", "tag", "Add or remove tags of runs."),
    "operations": ("guildlike.cli.operations_cmd", "operations", "Show the project's operations."),
    "export": ("guildlike.cli.transfer_cmd", "export", "Export runs to a folder or a .zip file, as Guild does."),
    "import": ("guildlike.cli.transfer_cmd", "import_", "Import runs from an exported folder or .zip file."),
    "compare": ("guildlike.cli.compare_cmd", "compare", "Compare runs: their flags and scalars, one row per run."),
    "diff": ("guildlike.cli.diff_cmd", "diff", "Show why two runs differ."),
    "check": ("guildlike.cli.check_cmd", "check", "Check the run index and run directories, and repair."),
    "queue": ("guildlike.cli.queue_cmd", "queue", "Start staged runs as they appear."),
    "stop": ("guildlike.cli.stop_cmd", "stop", "Stop running runs."),
    "watch": ("guildlike.cli.watch_cmd", "watch", "Follow a run's output until it stops."),
    "mark": ("guildlike.cli.mark_cmd", "mark", "Mark runs, or unmark them."),
    "comment": ("guildlike.cli.mark_cmd", "comment", "Add, list or delete comments of runs."),
    "completion": ("guildlike.cli.completion_cmd", "completion", "Print a shell completion script."),
    "tensorboard": ("guildlike.cli.tensorboard_cmd", "tensorboard", "Start TensorBoard over runs."),
    "view": ("guildlike.cli.view_cmd", "view", "Look at runs, pipelines and plots in a web browser."),
}

ALIASES = {"ops": "operations"}  # Guild's other names for commands (not listed on their own)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        name = ALIASES.get(name, name)
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        also = {name: f"{name} ({alias})" for alias, name in ALIASES.items()}
        rows = [(also.get(name, name), COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guildlike")
def cli() -> None:
    """guildlike: run, track and restart experiments and pipelines."""


def _usage_error(e: click.UsageError, argv: list[str]) -> int:
    path = e.ctx.command_path if e.ctx else "guildlike"
    words = path.split()
    if len(words) >= 3 and words[-1] == "list" and "list" not in argv:
        words = words[:-1]
    path = " ".join(["guildlike"] + words[1:])
    msg = escape_text(e.format_message())
    sys.stderr.write(f"guildlike: {msg}\n")
    if e.ctx is not None:
        sys.stderr.write(f"Try '{path} --help' for more information.\n")
    return e.exit_code


def report(e: GuildlikeError) -> int:
    sys.stdout.flush()
    if e.message:
        # Messages quote user input and run data: one line, control characters escaped.
        msg = escape_text(e.message)
        sys.stderr.write(f"guildlike: {msg}\n" if e.prefix else f"{msg}\n")
    for line in e.hints:
        sys.stderr.write(escape_text(line) + "\n")
    sys.stderr.flush()
    return e.exit_code


def _check_argv(argv: list[str]) -> None:
    """Arguments are text: bytes that are not UTF-8 (held as lone surrogates) cannot be stored."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"argument '{arg}' is not valid UTF-8 text") from None


def internal_error(e: BaseException) -> int:
    """The last resort for a bug: one line and a hint, the traceback only with GUILDLIKE_DEBUG=1."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    if os.environ.get("GUILDLIKE_DEBUG") == "1":
        import traceback  # lazy: start-up speed; only for a bug, with GUILDLIKE_DEBUG=1

        traceback.print_exception(e)
    detail = escape_text(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
    sys.stderr.write(f"guildlike: internal error: {detail[:500]}\n")
    sys.stderr.write(
        "This is a bug in guildlike: please report it, with the output of the command run again "
        "with GUILDLIKE_DEBUG=1 set.\n"
    )
    sys.stderr.flush()
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_argv(argv)
        cli.main(args=argv, prog_name="guildlike", standalone_mode=False)
        return 0
    except GuildlikeError as e:
        return report(e)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        return _usage_error(e, argv)
    except click.exceptions.Abort as e:
        if isinstance(e.__context__, KeyboardInterrupt):  # Ctrl-C, which click turns into Abort
            return 130
        sys.stderr.write("\n")
        return 4
    except click.ClickException as e:
        sys.stderr.write(f"guildlike: {escape_text(e.format_message())}\n")
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except Exception as e:  # noqa: BLE001 - a bug: never a traceback for the user
        return internal_error(e)


def run_main() -> Any:
    code = main()
    sys.stdout.flush()
    sys.exit(code)
