"""``guildlike completion``: print a shell completion script."""

from __future__ import annotations

import os

import click
from click.shell_completion import get_completion_class

from .common import Command
from .main import cli
from .ui import out

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_GUILDLIKE_COMPLETE"


@click.command(cls=Command)
@click.option("-s", "--shell", type=click.Choice(SHELLS), help="The shell (default: the one $SHELL names, else bash).")
def completion(shell: str | None) -> None:
    """Print a shell completion script.

    Loaded by the shell, it completes commands, options, the operations of
    the project in the current directory, an operation's flags (`NAME=`)
    and runs (indexes of the newest runs, and ids).

    Examples:

    \b
      eval "$(guildlike completion --shell bash)"     # in ~/.bashrc
      eval "$(guildlike completion --shell zsh)"      # in ~/.zshrc
      guildlike completion --shell fish > ~/.config/fish/completions/guildlike.fish
    """
    if shell is None:
        name = os.path.basename(os.environ.get("SHELL", ""))
        shell = name if name in SHELLS else "bash"
    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one of click's
    out(cls(cli, {}, "guildlike", COMPLETE_VAR).source().rstrip("\n"))
