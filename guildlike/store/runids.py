"""Which run ids guildlike accepts.

A run id names a folder in the home's ``runs``: it is one path component
that every listing shows. Accepted: a letter or digit followed by up to 127
letters, digits, ``_``, ``.`` or ``-``, not ending in ``.tmp`` or
``.prepare`` (names the store keeps for unfinished work). Generated ids (32
hex digits) always match. The same rule applies to ``--run-id`` and to the
run folders of an imported archive.
"""

from __future__ import annotations

import re

from ..errors import InvalidRunId

RULE = (
    "a letter or digit, then up to 127 letters, digits, '_', '.' or '-', "
    "not ending in '.tmp' or '.prepare'"
)
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_RESERVED_SUFFIXES = (".tmp", ".prepare")


def is_valid(run_id: str) -> bool:
    return bool(_ID_RE.fullmatch(run_id)) and not run_id.endswith(_RESERVED_SUFFIXES)


def check(run_id: str, what: str = "run id") -> str:
    """``run_id`` when valid, else ``InvalidRunId`` saying what is accepted."""
    if not is_valid(run_id):
        raise InvalidRunId(f"invalid {what} {run_id!r}: use {RULE}")
    return run_id
