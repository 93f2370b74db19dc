"""Shell completion values for the commands' arguments (click's machinery).

``Command`` (cli/common.py) gives each parameter named here its completer,
so a command only has to name its RUN argument ``run`` or ``runs_arg``.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from click.shell_completion import CompletionItem

from ..context import Context, NullUI


def make_context() -> Context:
    """A context that prints nothing: a completion's output is read by the shell."""
    return Context.from_env(ui=NullUI())


Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _items(found: list[tuple[str, str]], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(value, help=help_ or None) for value, help_ in found if value.startswith(incomplete)]


def complete_runs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from ..ops import candidates  # lazy: every command imports this module; only completion needs guildfiles

    deleted = ctx.info_name in ("restore", "purge")
    return _items(candidates.runs(make_context(), incomplete, deleted), incomplete)


def complete_ops(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from ..ops import candidates  # lazy: every command imports this module; only completion needs guildfiles

    return _items(candidates.operations(make_context()), incomplete)


def complete_flags(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from ..ops import candidates  # lazy: every command imports this module; only completion needs guildfiles

    opspec = ctx.params.get("opspec")
    if not opspec or "=" in incomplete:
        return []
    given = {arg.split("=", 1)[0] + "=" for arg in ctx.params.get("flags") or ()}
    return [i for i in _items(candidates.flags(make_context(), opspec), incomplete) if i.value not in given]


COMPLETERS: dict[str, Completer] = {
    "run": complete_runs,
    "runs_arg": complete_runs,
    "restart": complete_runs,
    "start": complete_runs,
    "proto": complete_runs,
    "opspec": complete_ops,
    "flags": complete_flags,
}


def add_completers(cmd: click.Command) -> None:
    """Give ``cmd``'s RUN, OPSPEC and FLAGS parameters their completers."""
    for param in cmd.params:
        completer = COMPLETERS.get(param.name or "")
        if completer is not None and param._custom_shell_complete is None:
            param._custom_shell_complete = completer
