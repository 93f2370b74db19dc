"""Moving runs between homes: ``export`` to a folder or ``.zip``, ``import`` back.

A pipeline or batch is exported with the runs it links to, and its links
stay relative (``../<id>``), so a failed pipeline can be imported on another
machine, fixed and restarted there. Import refuses any entry that would land
outside the home (absolute paths, ``..``, links pointing outside the
imported runs) and never overwrites an existing run unless asked. Secret
looking environment variables are dropped from exported runs.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..context import Context
from ..errors import GuildlikeError, RunBusy, TransferError
from ..store import attrs as attrs_mod
from ..store import status as status_mod
from ..store import store
from ..store.run import Run
from ..util.files import ensure_dir, remove_tree, store_error
from ..util.secrets import scrub


def _linked_ids(run_dir: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(run_dir):
        if ".guild" in dirnames:
            dirnames.remove(".guild")
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                target = os.path.normpath(os.path.join(dirpath, os.readlink(p)))
                rel = os.path.relpath(target, run_dir.parent)
                top = rel.split(os.sep)[0]
                if top not in ("..", ".") and top != run_dir.name:
                    out.append(top)
    return out


def closure(ctx: Context, runs: list[Run]) -> list[Run]:
    """``runs`` plus every run they link to (step runs, trials, dependencies)."""
    seen: dict[str, Run] = {}
    todo = list(runs)
    while todo:
        run = todo.pop()
        if run.id in seen:
            continue
        seen[run.id] = run
        for rid in _linked_ids(run.path):
            child = store.run_for_id(ctx, rid)
            if rid not in seen and child.path.is_dir():
                todo.append(child)
    return list(seen.values())


def _scrub_env(ctx: Context, run_dir: Path) -> None:
    """Drop secret looking variables from an exported copy's ``env`` (a run made
    before a pattern was added, or by another tool, may hold some)."""
    try:
        env = attrs_mod.read(run_dir, "env")
    except GuildlikeError:
        attrs_mod.delete(run_dir, "env")  # unreadable: not exported as it is
        return
    if isinstance(env, dict):
        attrs_mod.write(run_dir, "env", scrub({str(k): str(v) for k, v in env.items()}, ctx.env))
    elif env is not None:
        attrs_mod.delete(run_dir, "env")


def export_runs(ctx: Context, dest: Path, runs: list[Run]) -> list[Run]:
    all_runs = closure(ctx, runs)
    try:
        if dest.suffix == ".zip":
            _export_zip(ctx, dest, all_runs)
        else:
            _export_dir(ctx, dest, all_runs)
    except (OSError, shutil.Error) as e:
        raise TransferError(f"cannot export to {dest}: {getattr(e, 'strerror', None) or e}") from None
    return all_runs


def _export_dir(ctx: Context, dest: Path, runs: list[Run]) -> None:
    base = dest / "runs"
    base.mkdir(parents=True, exist_ok=True)
    for run in runs:
        target = base / run.id
        if target.exists():
            raise TransferError(f"{target} exists: export to an empty folder")
        shutil.copytree(run.path, target, symlinks=True)
        _scrub_env(ctx, target)


def _export_zip(ctx: Context, dest: Path, runs: list[Run]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _export_dir(ctx, Path(tmp), runs)
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            for dirpath, dirnames, filenames in os.walk(tmp):
                for name in sorted(dirnames + filenames):
                    full = os.path.join(dirpath, name)
                    arc = os.path.relpath(full, tmp).replace(os.sep, "/")
                    if os.path.islink(full):
                        info = zipfile.ZipInfo(arc)
                        info.external_attr = (stat.S_IFLNK | 0o777) << 16
                        zf.writestr(info, os.readlink(full))
                    elif os.path.isfile(full):
                        zf.write(full, arc)
                    elif os.path.isdir(full):
                        zf.writestr(zipfile.ZipInfo(arc + "/"), b"")


def _check_entry(arc: str) -> tuple[str, str]:
    """(run id, path inside the run) for a safe entry name, or TransferError."""
    if arc.startswith("/") or arc.startswith("\\") or (len(arc) > 1 and arc[1] == ":"):
        raise TransferError(f"refusing archive entry {arc!r}: absolute path")
    parts = PurePosixPath(arc).parts
    if ".." in parts:
        raise TransferError(f"refusing archive entry {arc!r}: '..' in path")
    if len(parts) < 2 or parts[0] != "runs":
        raise TransferError(f"refusing archive entry {arc!r}: not under runs/")
    return parts[1], "/".join(parts[2:])


def _check_link(arc: str, target: str, ids: set[str]) -> None:
    if os.path.isabs(target):
        raise TransferError(f"refusing link {arc!r} -> {target!r}: absolute target")
    resolved = os.path.normpath(os.path.join(os.path.dirname(arc), target))
    parts = PurePosixPath(resolved.replace(os.sep, "/")).parts
    if len(parts) < 2 or parts[0] != "runs" or parts[1] not in ids:
        raise TransferError(f"refusing link {arc!r} -> {target!r}: points outside the imported runs")


def _entries_from_dir(src: Path) -> list[tuple[str, str, str | None]]:
    """(archive path, kind, link target) for a folder export."""
    out: list[tuple[str, str, str | None]] = []
    base = src
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            arc = os.path.relpath(full, base).replace(os.sep, "/")
            if os.path.islink(full):
                out.append((arc, "link", os.readlink(full)))
            elif os.path.isdir(full):
                out.append((arc, "dir", None))
            else:
                out.append((arc, "file", None))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return out


def _entries_from_zip(zf: zipfile.ZipFile) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []
    for info in zf.infolist():
        name = info.filename.rstrip("/")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            out.append((name, "link", zf.read(info).decode("utf-8")))
        elif info.is_dir():
            out.append((name, "dir", None))
        else:
            out.append((name, "file", None))
    return out


def import_runs(ctx: Context, src: Path, replace: bool = False) -> tuple[list[str], list[str]]:
    """Bring the runs in ``src`` into the home: (imported ids, skipped existing ids)."""
    if not src.exists():
        raise TransferError(f"{src} does not exist")
    try:
        zf = zipfile.ZipFile(src) if src.suffix == ".zip" or zipfile.is_zipfile(src) else None
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise TransferError(f"cannot read {src}: {e}") from None
    if zf is None and not src.is_dir():
        raise TransferError(f"cannot read {src}: not a folder or a .zip file")
    try:
        try:
            entries = _entries_from_zip(zf) if zf else _entries_from_dir(src)
        except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as e:
            raise TransferError(f"cannot read {src}: {e}") from None
        checked = [(arc, kind, target, *_check_entry(arc)) for arc, kind, target in entries if arc != "runs"]
        ids = {rid for *_, rid, _inner in checked}
        for arc, kind, target, _rid, inner in checked:
            if kind == "link":
                _check_link(arc, target or "", ids)
            if not inner and kind != "dir":
                raise TransferError(f"refusing archive entry {arc!r}: a run must be a folder")
        for rid in ids:
            if not rid or rid.startswith(".") or "/" in rid:
                raise TransferError(f"refusing run folder {rid!r}")
        ensure_dir(ctx.runs_dir)
        existing = {rid for rid in ids if os.path.lexists(ctx.runs_dir / rid)}
        if replace:
            busy = sorted(rid for rid in existing if store.run_for_id(ctx, rid).status == status_mod.RUNNING)
            if busy:
                raise RunBusy(busy[0], "replace")
        if existing and not replace:
            skipped = sorted(existing)
        else:
            skipped = []
        todo = sorted(ids - set(skipped))
        try:
            # The pid in the name lets `check` remove what a killed import left.
            staging = Path(tempfile.mkdtemp(prefix=f".import-{os.getpid()}-", dir=str(ctx.home)))
        except OSError as e:
            raise store_error(e, ctx.home) from e
        try:
            for arc, kind, target, rid, inner in checked:
                if rid not in todo:
                    continue
                dest = staging / rid / inner if inner else staging / rid
                if kind == "dir":
                    dest.mkdir(parents=True, exist_ok=True)
                elif kind == "link":
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.symlink(target or "", dest)
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if zf:
                        with zf.open(arc) as f_in, open(dest, "wb") as f_out:
                            shutil.copyfileobj(f_in, f_out)
                    else:
                        shutil.copyfile(src / arc, dest)
            for rid in todo:
                final = ctx.runs_dir / rid
                if os.path.lexists(final):
                    remove_tree(final)
                os.replace(staging / rid, final)
        except OSError as e:
            raise TransferError(f"cannot import {src}: {e.strerror or e}") from e
        except (zipfile.BadZipFile, EOFError, zlib.error) as e:
            raise TransferError(f"cannot read {src}: {e}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return todo, skipped
    finally:
        if zf:
            zf.close()
