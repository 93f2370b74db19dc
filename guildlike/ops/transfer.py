"""Moving runs between homes: ``export`` to a folder or ``.zip``, ``import`` back.

Archives have Guild's layout (an empty ``.guild-nocopy`` and one ``ID/``
folder per run), so Guild and guildlike read each other's. A pipeline or
batch is exported with the runs it links to, and its links stay relative
(``../<id>``), so a failed pipeline can be imported on another machine,
fixed and restarted there. Import refuses any entry that would land
outside the home (absolute paths, ``..``, links pointing outside the
imported runs) and never overwrites an existing run unless asked. Secret
looking environment variables are dropped from exported runs.

Export refuses a running run and a destination inside the home's runs or
trash. A zip file is written beside its destination and moved into place
only when complete, so a failed export never damages an earlier archive.
File names are bytes: a name that is not UTF-8 is stored as it is.
Import lives in ``importing`` (with ``archive`` and ``extract``).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..context import Context
from ..errors import GuildlikeError, RunBusy, TransferError
from ..store import attrs as attrs_mod
from ..store import status as status_mod
from ..store import store
from ..store.run import Run
from ..util.files import is_within, remove_tree
from ..util.secrets import scrub
from .extract import NOCOPY
from .importing import Note, archive_runs, import_runs

__all__ = [
    "TransferError", "added_notes", "archive_runs", "closure", "export_runs", "home_closure", "import_runs",
]


def _quiet(_msg: str) -> None:
    pass


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


Plan = list[tuple[Run, str]]  # each run to copy, and why it was added ("" when asked for)


def _reason(parent: Run) -> str:
    if parent.is_pipeline():
        return f"a step of {parent.id}"
    if parent.is_batch():
        return f"a trial of {parent.id}"
    return f"required by {parent.id}"


def closure(runs: list[Run], find: Callable[[str], Run | None]) -> Plan:
    """``runs`` plus every run they link to (step runs, trials, dependencies)
    that ``find`` knows, each added one with why."""
    plan: dict[str, tuple[Run, str]] = {r.id: (r, "") for r in runs}
    todo = list(runs)
    while todo:
        run = todo.pop(0)
        for rid in _linked_ids(run.path):
            child = find(rid)
            if rid not in plan and child is not None:
                plan[rid] = (child, _reason(run))
                todo.append(child)
    return list(plan.values())


def home_closure(ctx: Context, runs: list[Run]) -> Plan:
    """``closure`` over the runs of the home."""

    def find(rid: str) -> Run | None:
        run = store.run_for_id(ctx, rid)
        return run if run.path.is_dir() else None

    return closure(runs, find)


def added_notes(plan: Plan) -> list[str]:
    return [f"Adding {run.id} ({why})" for run, why in plan if why]


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


def export_runs(ctx: Context, dest: Path, plan: Plan, note: Note = _quiet, shown: str = "") -> list[Run]:
    """Copy the planned runs to ``dest`` in Guild's archive layout; the runs
    copied (not those already there). ``note`` hears each ``Copying ID`` and
    ``WARNING: SHOWN/ID exists, skipping`` (``shown``: ``dest`` as typed)."""
    all_runs = [run for run, _why in plan]
    _check_dest(ctx, dest, all_runs)
    _check_not_running(all_runs)
    try:
        if dest.suffix == ".zip":
            return _export_zip(ctx, dest, all_runs, note)
        return _export_dir(ctx, dest, all_runs, note, shown)
    except (OSError, shutil.Error) as e:
        raise TransferError(f"cannot export to {dest}: {getattr(e, 'strerror', None) or e}") from None


def _check_dest(ctx: Context, dest: Path, runs: list[Run]) -> None:
    """Refuse a destination inside the home's runs or trash (or a run):
    the export would copy into what it is copying, or make a bogus run."""
    real = os.path.realpath(dest)
    written = [real] if dest.suffix == ".zip" else [real, os.path.join(real, "runs")]
    bases = [ctx.runs_dir, ctx.home / "trash"] + [r.path for r in runs]
    for base in (os.path.realpath(b) for b in bases):
        if any(is_within(w, base) for w in written):
            raise TransferError(
                f"cannot export to {dest}: it is inside this home's runs or trash; choose a place outside them"
            )


def _check_not_running(runs: list[Run]) -> None:
    for run in runs:
        if run.status == status_mod.RUNNING:
            raise RunBusy(run.id, "export")


def _skip_special(dirpath: str, names: list[str]) -> set[str]:
    """FIFOs, sockets and devices are not copied (reading a FIFO would hang)."""
    skip = set()
    for name in names:
        try:
            mode = os.lstat(os.path.join(dirpath, name)).st_mode
        except OSError:
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            skip.add(name)
    return skip


def _export_dir(ctx: Context, dest: Path, runs: list[Run], note: Note, shown: str = "") -> list[Run]:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / NOCOPY).touch()
    made: list[Run] = []
    try:
        for run in runs:
            target = dest / run.id
            if os.path.lexists(target):
                note(f"WARNING: {shown or dest}{os.sep}{run.id} exists, skipping")
                continue
            note(f"Copying {run.id}")
            made.append(run)
            shutil.copytree(run.path, target, symlinks=True, ignore=_skip_special)
            _scrub_env(ctx, target)
    except BaseException:
        for run in made:  # a failed export leaves no partial run behind
            if os.path.lexists(dest / run.id):
                remove_tree(dest / run.id)
        raise
    return made


class _BytesNameInfo(zipfile.ZipInfo):
    """An entry whose name is stored as the file system's bytes: flagged
    UTF-8 when it is, else as is (readers on Unix take it as bytes)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        raw = os.fsencode(self.filename)
        try:
            raw.decode("ascii")
            return raw, self.flag_bits
        except UnicodeDecodeError:
            pass
        try:
            raw.decode("utf-8")
            return raw, self.flag_bits | 0x800
        except UnicodeDecodeError:
            return raw, self.flag_bits & ~0x800


def _zip_ids(dest: Path) -> set[str]:
    """The runs a zip archive holds already (none when there is no file)."""
    if not dest.exists():
        return set()
    try:
        with zipfile.ZipFile(dest) as zf:
            tops = {name.split("/")[0] for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError) as e:
        raise TransferError(f"cannot add to {dest}: {getattr(e, 'strerror', None) or e}") from None
    if "runs" in tops:
        raise TransferError(f"cannot add to {dest}: it is an export of an older guildlike; export to a new file")
    return tops - {NOCOPY}


def _export_zip(ctx: Context, dest: Path, runs: list[Run], note: Note) -> list[Run]:
    """Write the zip beside ``dest`` (with what it held before) and move it into place."""
    there = _zip_ids(dest)
    for run in runs:
        if run.id in there:
            note(f"WARNING: {run.id} exists, skipping")
    todo = [run for run in runs if run.id not in there]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    umask = os.umask(0o022)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # as an archive written in place would be
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            made = _export_dir(ctx, Path(tmp), todo, note)
            os.unlink(Path(tmp) / NOCOPY)  # a zip archive has no marker
            with zipfile.ZipFile(tmp_name, "w", zipfile.ZIP_DEFLATED) as zf:
                if there:
                    _copy_entries(dest, zf)
                _zip_tree(zf, tmp)
        os.replace(tmp_name, dest)
    except BaseException:
        os.unlink(tmp_name)
        raise
    return made


def _copy_entries(src: Path, zf: zipfile.ZipFile) -> None:
    with zipfile.ZipFile(src) as old:
        for info in old.infolist():
            with old.open(info) as f_in, zf.open(info, "w") as f_out:
                shutil.copyfileobj(f_in, f_out, 1024 * 1024)


def _zip_tree(zf: zipfile.ZipFile, tmp: str) -> None:
    for dirpath, dirnames, filenames in os.walk(tmp):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            arc = os.path.relpath(full, tmp).replace(os.sep, "/")
            if os.path.islink(full):
                info = _BytesNameInfo(arc)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, os.fsencode(os.readlink(full)))
            elif os.path.isfile(full):
                info = _BytesNameInfo.from_file(full, arc)
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as f_in, zf.open(info, "w") as f_out:
                    shutil.copyfileobj(f_in, f_out, 1024 * 1024)
            elif os.path.isdir(full):
                zf.writestr(_BytesNameInfo(arc + "/"), b"")
