"""``file:`` sources of ``requires:``: project files copied or linked into a run.

A source is a file or a directory of the project, named relative to it. It
lands in the run under its base name (``target-path: DIR`` puts it under
DIR, ``rename: 'PATTERN REPL'`` changes the name), copied, or linked with
``target-type: link`` (a relative symlink). With ``select:`` a directory
gives only its files whose relative path matches one of the patterns.

A source must stay inside the project: a path that leads out of it
(``../x``, an absolute path, or a symlink, at any depth of a copied
directory) is refused before anything is copied.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..errors import DependencySourceError as SourceError
from ..guildfile.deps import DepSource
from ..util.files import is_within


def _inside(path: Path, root: Path) -> bool:
    return is_within(os.path.realpath(path), str(root))


def source_path(project: Path, src: DepSource) -> Path:
    """The source's path in the project; ``SourceError`` when missing or outside it."""
    root = Path(os.path.realpath(project))
    path = project / src.target
    if os.path.isabs(src.target) or not _inside(path, root):
        if not os.path.lexists(path):
            raise SourceError(f"cannot find source file '{src.target}'", missing=True)
        raise SourceError(f"source file '{src.target}' is outside the project")
    if not path.exists():
        raise SourceError(f"cannot find source file '{src.target}'", missing=True)
    if path.is_dir():
        _check_tree(path, root, src)
    return path


def _check_tree(top: Path, root: Path, src: DepSource) -> None:
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink() and not _inside(p, root):
                rel = os.path.relpath(p, top.parent)
                raise SourceError(f"'{rel}' in source '{src.target}' links outside the project")


def _dest_name(name: str, src: DepSource) -> str:
    if src.rename is None:
        return name
    new = re.sub(src.rename[0], src.rename[1], name)
    return new if new and "/" not in new and new not in (".", "..") else name


def _selected(top: Path, src: DepSource) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), top)
            if any(re.fullmatch(p, rel) for p in src.select):
                out.append(rel)
    return sorted(out)


def _place(path: Path, dest: Path, link: bool) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.islink(dest) or (os.path.lexists(dest) and not dest.is_dir()):
        os.unlink(dest)
    elif dest.is_dir() and (link or not path.is_dir()):
        shutil.rmtree(dest)
    if link:
        os.symlink(os.path.relpath(path, dest.parent), dest)
    elif path.is_dir():
        shutil.copytree(path, dest, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copyfile(path, dest)


def resolve_file(project: Path, run_dir: Path, src: DepSource) -> list[str]:
    """Copy or link ``src`` into ``run_dir``; the source paths, relative to the run dir."""
    path = source_path(project, src)
    link = src.target_type == "link"
    base = run_dir / src.target_path
    if path.is_dir() and src.select:
        picked = _selected(path, src)
        for rel in picked:
            parent, name = os.path.split(rel)
            _place(path / rel, base / parent / _dest_name(name, src), link)
        return [os.path.relpath(path / rel, run_dir) for rel in picked]
    if src.select and not any(re.fullmatch(p, path.name) for p in src.select):
        return []
    _place(path, base / _dest_name(path.name, src), link)
    return [os.path.relpath(path, run_dir)]
