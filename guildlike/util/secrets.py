"""Environment variables that look secret are never stored with a run."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

DEFAULT_PATTERNS = ("*PASSWORD*", "*PASSWD*", "*TOKEN*", "*SECRET*", "*KEY*", "*CREDENTIAL*")


def patterns(*envs: Mapping[str, str]) -> tuple[str, ...]:
    """The patterns in force: ``GUILDLIKE_SECRET_PATTERNS`` (comma separated) of
    each of ``envs`` adds to the defaults."""
    extra: list[str] = []
    for env in envs:
        extra += [p.strip().upper() for p in env.get("GUILDLIKE_SECRET_PATTERNS", "").split(",") if p.strip()]
    return DEFAULT_PATTERNS + tuple(extra)


def is_secret(name: str, pats: tuple[str, ...]) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p) for p in pats)


def scrub(env: Mapping[str, str], also: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` without the variables whose names look secret (patterns from
    ``env`` and, when given, ``also``: the environment of the exporting process)."""
    pats = patterns(env, also or {})
    return {k: v for k, v in env.items() if not is_secret(k, pats)}
