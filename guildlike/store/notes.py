"""Marks and comments on runs (``mark``, ``comment``), in Guild's attribute layout.

``.guild/attrs/marked`` holds ``true`` for a marked run; unmarking deletes
it. ``.guild/attrs/comments`` is a list of mappings with ``body``, ``host``,
``time`` (microseconds since the epoch) and ``user``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import NoSuchComment, UsageError
from ..util import timeutil
from .run import Run


def mark_runs(runs: Sequence[Run]) -> int:
    for run in runs:
        run.set("marked", True)
    return len(runs)


def unmark_runs(runs: Sequence[Run]) -> int:
    for run in runs:
        run.delete_attr("marked")
    return len(runs)


def comment_user(env: Mapping[str, str]) -> str:
    """``$USER``, else the login name ('' when neither is known)."""
    user = env.get("USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid
        return ""


def new_comment(body: str, env: Mapping[str, str]) -> dict[str, Any]:
    if not body.strip():
        raise UsageError("a comment cannot be empty")
    return {"body": body, "host": os.uname().nodename, "time": timeutil.now_us(), "user": comment_user(env)}


def add_comment(runs: Sequence[Run], comment: dict[str, Any]) -> int:
    for run in runs:
        run.set("comments", run.comments + [dict(comment)])
    return len(runs)


def check_comment(runs: Sequence[Run], number: int) -> None:
    """``NoSuchComment`` unless every run has a comment ``number``."""
    for run in runs:
        if not 1 <= number <= len(run.comments):
            raise NoSuchComment(run.id, number)


def delete_comment(runs: Sequence[Run], number: int) -> int:
    """Delete comment ``number`` (1 is the first) of each run; an error when a run has none by that number."""
    check_comment(runs, number)
    for run in runs:
        kept = run.comments
        del kept[number - 1]
        _store(run, kept)
    return len(runs)


def clear_comments(runs: Sequence[Run]) -> int:
    for run in runs:
        _store(run, [])
    return len(runs)


def _store(run: Run, comments: list[dict[str, Any]]) -> None:
    if comments:
        run.set("comments", comments)
    else:
        run.delete_attr("comments")


def comments_text(comments: Sequence[Any]) -> str:
    """Every comment's body, user and host in one text, for ``-Fc``."""
    return "\n".join(
        f"{c.get('body', '')} {c.get('user', '')}@{c.get('host', '')}" for c in comments if isinstance(c, dict)
    )


def comment_head(comment: Mapping[str, Any]) -> tuple[str, str]:
    """(``USER@HOST``, time as ``DT``) of a comment."""
    user = str(comment.get("user") or "")
    host = str(comment.get("host") or "")
    when = comment.get("time")
    return f"{user}@{host}", timeutil.format_us(when) if isinstance(when, int) else ""

