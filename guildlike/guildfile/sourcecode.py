"""Selecting, copying and digesting a project's source code.

By default the snapshot holds the project's text source files (Python,
guild.yml and small config/text files), never hidden folders such as
``.git``, virtual environments, ``__pycache__`` or the guildlike home.
``sourcecode:`` in guild.yml refines it:

- ``no`` / ``false``: no snapshot;
- a list of rules: a string is an include pattern, ``{include: PAT}`` or
  ``{exclude: PAT}`` (a pattern or a list); later rules win. A list that
  starts with an include rule selects only what it includes;
- a mapping with ``root`` (a folder relative to the project) and ``select``
  (the list above).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import GuildfileError

DEFAULT_PATTERNS = (
    "*.py",
    "guild.yml",
    "*.yml",
    "*.yaml",
    "*.json",
    "*.txt",
    "*.cfg",
    "*.toml",
    "*.ini",
    "*.sh",
    "*.md",
    "*.csv",
)
MAX_FILE_SIZE = 1024 * 1024
MAX_FILES = 1000
_SKIP_DIRS = {"__pycache__", "node_modules", "venv", ".venv", "env", "build", "dist", "runs"}


class Rule:
    def __init__(self, include: bool, patterns: list[str]) -> None:
        self.include = include
        self.patterns = patterns

    def matches(self, rel: str) -> bool:
        base = rel.rsplit("/", 1)[-1]
        for pat in self.patterns:
            if fnmatch.fnmatchcase(rel, pat) or ("/" not in pat and fnmatch.fnmatchcase(base, pat)):
                return True
            if pat.endswith("/") and (rel + "/").startswith(pat):
                return True
        return False


def parse_spec(spec: Any, where: str = "sourcecode") -> tuple[bool, str, list[Rule]]:
    """(enabled, root, rules) for a ``sourcecode:`` value."""
    if spec is None or spec is True:
        return True, "", []
    if spec is False or spec == "no":
        return False, "", []
    root = ""
    select = spec
    if isinstance(spec, dict):
        unknown = set(spec) - {"root", "select", "dest", "digest"}
        if unknown:
            raise GuildfileError(f"invalid {where}: unknown key '{sorted(unknown)[0]}'")
        root = str(spec.get("root") or "")
        select = spec.get("select") or []
    if isinstance(select, str):
        select = [select]
    if not isinstance(select, list):
        raise GuildfileError(f"invalid {where}: expected no, a list of rules or a mapping")
    rules = []
    for item in select:
        if isinstance(item, str):
            rules.append(Rule(True, [item]))
        elif isinstance(item, dict) and len(item) == 1 and next(iter(item)) in ("include", "exclude"):
            kind, pats = next(iter(item.items()))
            pats = [pats] if isinstance(pats, str) else pats
            if not isinstance(pats, list) or not all(isinstance(p, str) for p in pats):
                raise GuildfileError(f"invalid {where}: {kind} takes a pattern or a list of patterns")
            rules.append(Rule(kind == "include", list(pats)))
        else:
            raise GuildfileError(f"invalid {where} rule {item!r}: expected a pattern, include or exclude")
    return True, root, rules


def _selected(rel: str, size: int, rules: list[Rule]) -> bool:
    default = size <= MAX_FILE_SIZE and any(
        fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], p) for p in DEFAULT_PATTERNS
    )
    if rules and rules[0].include:
        default = False
    result = default
    for rule in rules:
        if rule.matches(rel):
            result = rule.include
    return result


def select_files(project_dir: Path, spec: Any, exclude_dirs: Iterable[Path] = ()) -> list[str]:
    """Relative paths of the source files to copy, sorted."""
    enabled, root, rules = parse_spec(spec)
    if not enabled:
        return []
    base = (project_dir / root).resolve() if root else project_dir.resolve()
    excluded = {str(Path(p).resolve()) for p in exclude_dirs}
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(base):
        keep = []
        for d in sorted(dirnames):
            full = os.path.join(dirpath, d)
            if d.startswith(".") or d in _SKIP_DIRS or full in excluded:
                continue
            if os.path.islink(full) or os.path.exists(os.path.join(full, "pyvenv.cfg")):
                continue
            if os.path.exists(os.path.join(full, ".guild")):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            try:
                st = os.stat(full)
            except OSError:
                continue
            if _selected(rel, st.st_size, rules):
                out.append(rel)
                if len(out) >= MAX_FILES:
                    return sorted(out)
    return sorted(out)


def copy_files(project_dir: Path, spec: Any, files: list[str], dest: Path) -> None:
    _, root, _ = parse_spec(spec)
    base = project_dir / root if root else project_dir
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base / rel, target)


def file_hashes(base: Path, files: list[str]) -> dict[str, str]:
    out = {}
    for rel in sorted(files):
        try:
            out[rel] = hashlib.sha256((base / rel).read_bytes()).hexdigest()
        except OSError:
            out[rel] = "<missing>"
    return out


def digest(base: Path, files: list[str], hashes: dict[str, str] | None = None) -> str:
    hashes = hashes if hashes is not None else file_hashes(base, files)
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode("utf-8") + b"\0" + hashes.get(rel, "<missing>").encode() + b"\n")
    return h.hexdigest()[:32]
