"""Code identity: the git commit of a project, whether its tree is clean, its remote.

Untracked files count as dirty (Runnable calls such a tree clean; we do not).
A project that is not in a git repository says so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from ..context import Context


def _git_root(path: Path) -> Path | None:
    p = path.resolve()
    for cand in [p, *p.parents]:
        if (cand / ".git").exists():
            return cand
    return None


def _git(args: list[str], cwd: Path) -> tuple[int, str]:
    try:
        p = subprocess.run(
            ["git", *args],
            cwd=str(cwd),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            timeout=30,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return 1, ""
    return p.returncode, p.stdout.decode("utf-8", errors="replace").strip()


def identify(project_dir: Path) -> dict[str, Any]:
    if not project_dir or not project_dir.is_dir():
        return {"type": "none", "message": f"project folder {project_dir} not found"}
    root = _git_root(project_dir)
    if root is None:
        return {"type": "none", "message": "not a git repository"}
    code, commit = _git(["rev-parse", "HEAD"], project_dir)
    if code != 0:
        return {"type": "git", "commit": None, "clean": False, "message": "git repository without commits"}
    _, porcelain = _git(["status", "--porcelain", "--untracked-files=normal"], project_dir)
    changed = [line for line in porcelain.splitlines() if line.strip()]
    untracked = [line[3:] for line in changed if line.startswith("??")]
    _, remote = _git(["config", "--get", "remote.origin.url"], project_dir)
    ident: dict[str, Any] = {
        "type": "git",
        "commit": commit,
        "clean": not changed,
        "remote": remote or None,
    }
    if changed:
        ident["message"] = f"{len(changed)} changed file(s)" + (f", {len(untracked)} untracked" if untracked else "")
    return ident


def _key(project_dir: str) -> str:
    return f"codeid:{project_dir}"


def remember_identity(ctx: Context, project_dir: str, ident: dict[str, Any]) -> None:
    """Take ``ident`` as the project's identity for ``ctx``'s command (found elsewhere)."""
    ctx.cache[_key(project_dir)] = dict(ident)


def cached_identity(ctx: Context, project_dir: str) -> dict[str, Any]:
    key = _key(project_dir)
    if key not in ctx.cache:
        ctx.cache[key] = identify(Path(project_dir)) if project_dir else {"type": "none", "message": "no project"}
    found = ctx.cache[key]
    return dict(found) if isinstance(found, dict) else {}
