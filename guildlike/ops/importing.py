"""``import``: bring exported runs into the home, refusing anything that
could write or point outside it (see ``extract``) or exceed the limits
(see ``archive.Limits``).

An archive is Guild's layout (``ID/`` folders beside an empty
``.guild-nocopy``) or an older guildlike export (``runs/ID/``), as a folder
or a ``.zip`` file. The runs are extracted into a private staging folder in
the home and moved into ``runs`` only once all of them are in place and
checked. ``LOCK`` and ``PENDING`` markers are left out: the process they name
ran in another home, so an imported run that had not finished shows ``error``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..context import Context
from ..errors import RunBusy, TransferError
from ..store import status as status_mod
from ..store import store
from ..util.files import ensure_dir, remove_tree, store_error
from . import extract
from .archive import DirSource, Limits, Source, open_source

Note = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


@dataclass
class Checked:
    """An archive's entries, checked: where each goes, and the archive's layout."""

    placed: list[extract.Placed]
    prefix: tuple[str, ...]

    @property
    def ids(self) -> set[str]:
        return {p.rid for p in self.placed}


def _checked(source: Source, limits: Limits, src: Path) -> Checked:
    try:
        entries = source.entries(limits)
    except (zipfile.BadZipFile, OSError) as e:
        raise TransferError(f"cannot read {src}: {getattr(e, 'strerror', None) or e}") from None
    prefix = extract.layout(entries)
    placed = [extract.check_name(e, prefix) for e in entries if not extract.skipped_entry(e, prefix)]
    return Checked([p for p in placed if not extract.dropped(p)], prefix)


def _busy_ids(ctx: Context, ids: set[str]) -> list[str]:
    return sorted(rid for rid in ids if store.run_for_id(ctx, rid).status == status_mod.RUNNING)


@contextmanager
def archive_runs(ctx: Context, src: Path, move: bool = False) -> Iterator[Path]:
    """The folder holding an archive's run folders, to list them
    (``scan.scan_folder``). A folder archive is read where it is; a zip file
    is extracted, with every check of an import, into a temporary folder
    removed afterwards. ``move``: refuse a zip file (runs are moved out of folders only)."""
    limits = Limits.from_env(ctx.env)
    source = open_source(src)
    try:
        _check_move(source, move)
        checked = _checked(source, limits, src)
        if isinstance(source, DirSource):
            yield src.joinpath(*checked.prefix)
            return
        with tempfile.TemporaryDirectory() as tmp:
            staging = Path(tmp) / "runs"
            staging.mkdir()
            _stage(source, src, staging, checked, set(), Path(tmp) / "none", limits)
            yield staging
    finally:
        source.close()


def import_runs(
    ctx: Context,
    src: Path,
    replace: bool = False,
    only: set[str] | None = None,
    move: bool = False,
    note: Note = _quiet,
) -> tuple[list[str], list[str]]:
    """Bring the runs in ``src`` (those in ``only``, default all) into the
    home: (imported ids, skipped existing ids). ``note`` hears ``Copying ID``
    (``Moving ID``) and ``WARNING: ID exists, skipping`` as they happen."""
    limits = Limits.from_env(ctx.env)
    source = open_source(src)
    try:
        _check_move(source, move)
        checked = _checked(source, limits, src)
        wanted = checked.ids if only is None else checked.ids & only
        ensure_dir(ctx.runs_dir)
        existing = {rid for rid in wanted if os.path.lexists(ctx.runs_dir / rid)}
        if replace:
            busy = _busy_ids(ctx, existing)
            if busy:
                raise RunBusy(busy[0], "replace")
        skipped = set() if replace else existing
        todo = sorted(wanted - skipped)
        _extract(ctx, source, src, checked, checked.ids - set(todo), limits)
        for rid in sorted(wanted):
            note(f"WARNING: {rid} exists, skipping" if rid in skipped else f"{'Moving' if move else 'Copying'} {rid}")
        if move:
            _remove_sources(src.joinpath(*checked.prefix), todo)
        return todo, sorted(skipped)
    finally:
        source.close()


def _check_move(source: Source, move: bool) -> None:
    if move and not isinstance(source, DirSource):
        raise TransferError("'--move' cannot be used with zip archives")


def _remove_sources(base: Path, ids: list[str]) -> None:
    for rid in ids:
        remove_tree(base / rid)


def _extract(ctx: Context, source: Source, src: Path, checked: Checked, kept: set[str], limits: Limits) -> None:
    try:
        # The pid in the name lets `check` remove what a killed import left.
        staging = Path(tempfile.mkdtemp(prefix=f".import-{os.getpid()}-", dir=str(ctx.home)))
    except OSError as e:
        raise store_error(e, ctx.home) from e
    try:
        _stage(source, src, staging, checked, kept, ctx.runs_dir, limits)
        for rid in sorted(checked.ids - kept):
            final = ctx.runs_dir / rid
            if os.path.lexists(final):
                remove_tree(final)
            os.replace(staging / rid, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage(
    source: Source, src: Path, staging: Path, checked: Checked, kept: set[str], runs_dir: Path, limits: Limits
) -> None:
    """Every run not in ``kept`` written under ``staging`` and checked."""
    try:
        _place_all(source, staging, checked, kept, limits)
        links = [p for p in checked.placed if p.entry.kind == "link" and p.rid not in kept]
        extract.check_links(staging, links, checked.ids, runs_dir, kept)
    except OSError as e:
        raise TransferError(f"cannot import {src}: {e.strerror or e}") from e
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as e:
        raise TransferError(f"cannot read {src}: {e}") from None


def _place_all(source: Source, staging: Path, checked: Checked, kept: set[str], limits: Limits) -> None:
    writer = extract.Writer(staging, source, limits)
    for p in checked.placed:
        target = None
        if p.entry.kind == "link":
            target = source.link_target(p.entry, limits)
            extract.check_link_text(p.entry.arc, target, checked.ids, checked.prefix)
        if p.rid not in kept:
            writer.place(p, target)
