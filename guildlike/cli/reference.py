"""The CLI reference page, ``docs/cli.md``, made from the commands' own help.

``python -m guildlike.cli.reference docs/cli.md`` writes the page; without an
argument it prints it. ``tests/test_docs.py`` fails when the page is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .main import cli

WIDTH = 80
REFRESH = "python -m guildlike.cli.reference docs/cli.md"


def iter_commands() -> Iterator[tuple[click.Context, click.Command]]:
    """Every command with a context for its help, the root first, then each
    command and its subcommands in the order of ``--help``."""
    # The settings `make_context` would apply (-h): click caches each command's
    # help option the first time a context asks for it.
    settings = {**cli.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    root = click.Context(cli, info_name="guildlike", **settings)
    yield from _walk(root, cli)


def _walk(ctx: click.Context, cmd: click.Command) -> Iterator[tuple[click.Context, click.Command]]:
    yield ctx, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:  # an alias such as `runs rm`
                yield from _walk(click.Context(sub, info_name=name, parent=ctx), sub)


def page() -> str:
    """The Markdown text of ``docs/cli.md``."""
    sections: list[str] = []
    toc: list[str] = []
    for ctx, cmd in iter_commands():
        path = ctx.command_path
        anchor = path.replace(" ", "-")
        toc.append(f"- [`{path}`](#{anchor})")
        help_text = cmd.get_help(ctx).rstrip()
        sections.append(f"## {path}\n\n```\n{help_text}\n```\n")
    head = (
        "# Command reference\n\n"
        f"This page is generated from the help of each command by `{REFRESH}`;\n"
        "do not edit it by hand. `guildlike COMMAND --help` shows the same text.\n"
    )
    return head + "\n" + "\n".join(toc) + "\n\n" + "\n".join(sections)


def main(argv: list[str]) -> int:
    text = page()
    if not argv:
        sys.stdout.write(text)
        return 0
    Path(argv[0]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
