"""Environment variables that look secret are never stored with a run."""

from __future__ import annotations

import fnmatch
from typing import Mapping

DEFAULT_PATTERNS = ("*PASSWORD*", "*PASSWD*", "*TOKEN*", "*SECRET*", "*KEY*", "*CREDENTIAL*")


def patterns(env: Mapping[str, str]) -> tuple[str, ...]:
    """The patterns in force: ``GUILDLIKE_SECRET_PATTERNS`` (comma separated) adds to the defaults."""
    extra = env.get("GUILDLIKE_SECRET_PATTERNS", "")
    return DEFAULT_PATTERNS + tuple(p.strip().upper() for p in extra.split(",") if p.strip())


def is_secret(name: str, pats: tuple[str, ...]) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p) for p in pats)


def scrub(env: Mapping[str, str]) -> dict[str, str]:
    pats = patterns(env)
    return {k: v for k, v in env.items() if not is_secret(k, pats)}
