"""``import``: bring exported runs into the home, refusing anything that
could write or point outside it (see ``extract``) or exceed the limits
(see ``archive.Limits``).

The runs are extracted into a private staging folder in the home and
moved into ``runs`` only once all of them are in place and checked.
``LOCK`` and ``PENDING`` markers are left out: the process they name ran
in another home, so an imported run that had not finished shows ``error``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from ..context import Context
from ..errors import RunBusy, TransferError
from ..store import status as status_mod
from ..store import store
from ..util.files import ensure_dir, remove_tree, store_error
from . import extract
from .archive import Limits, Source, open_source


def _checked(source: Source, limits: Limits, src: Path) -> list[extract.Placed]:
    try:
        entries = source.entries(limits)
    except (zipfile.BadZipFile, OSError) as e:
        raise TransferError(f"cannot read {src}: {getattr(e, 'strerror', None) or e}") from None
    placed = [extract.check_name(e) for e in entries if e.arc != "runs"]
    return [p for p in placed if not extract.dropped(p)]


def _busy_ids(ctx: Context, ids: set[str]) -> list[str]:
    return sorted(rid for rid in ids if store.run_for_id(ctx, rid).status == status_mod.RUNNING)


def import_runs(ctx: Context, src: Path, replace: bool = False) -> tuple[list[str], list[str]]:
    """Bring the runs in ``src`` into the home: (imported ids, skipped existing ids)."""
    limits = Limits.from_env(ctx.env)
    source = open_source(src)
    try:
        placed = _checked(source, limits, src)
        ids = {p.rid for p in placed}
        ensure_dir(ctx.runs_dir)
        existing = {rid for rid in ids if os.path.lexists(ctx.runs_dir / rid)}
        if replace:
            busy = _busy_ids(ctx, existing)
            if busy:
                raise RunBusy(busy[0], "replace")
        skipped = set() if replace else existing
        todo = sorted(ids - skipped)
        _extract(ctx, source, src, placed, ids, skipped, limits)
        return todo, sorted(skipped)
    finally:
        source.close()


def _extract(
    ctx: Context, source: Source, src: Path, placed: list[extract.Placed], ids: set[str], kept: set[str],
    limits: Limits,
) -> None:
    try:
        # The pid in the name lets `check` remove what a killed import left.
        staging = Path(tempfile.mkdtemp(prefix=f".import-{os.getpid()}-", dir=str(ctx.home)))
    except OSError as e:
        raise store_error(e, ctx.home) from e
    try:
        _place_all(source, staging, placed, ids, kept, limits)
        links = [p for p in placed if p.entry.kind == "link" and p.rid not in kept]
        extract.check_links(staging, links, ids, ctx.runs_dir, kept)
        for rid in sorted(ids - kept):
            final = ctx.runs_dir / rid
            if os.path.lexists(final):
                remove_tree(final)
            os.replace(staging / rid, final)
    except OSError as e:
        raise TransferError(f"cannot import {src}: {e.strerror or e}") from e
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as e:
        raise TransferError(f"cannot read {src}: {e}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _place_all(
    source: Source, staging: Path, placed: list[extract.Placed], ids: set[str], kept: set[str], limits: Limits
) -> None:
    writer = extract.Writer(staging, source, limits)
    for p in placed:
        target = None
        if p.entry.kind == "link":
            target = source.link_target(p.entry, limits)
            extract.check_link_text(p.entry.arc, target, ids)
        if p.rid not in kept:
            writer.place(p, target)
