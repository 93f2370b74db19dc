"""Fixtures for the unit tests: a fresh home and a way to make runs in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from guildlike.context import Context
from guildlike.store import opref, store
from guildlike.store.run import Run


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    home = tmp_path / "home"
    home.mkdir()
    return Context(home=home, cwd=tmp_path, env={"GUILDLIKE_HOME": str(home)})


MakeRun = Callable[..., Run]


@pytest.fixture
def make_run(ctx: Context) -> MakeRun:
    """A run directory as guildlike writes it, without running anything."""

    def make(
        run_id: str,
        op: str = "train",
        started: int | None = None,
        exit_status: int | None = 0,
        flags: dict[str, Any] | None = None,
        label: str | None = None,
        tags: list[str] | None = None,
        model: str = "",
    ) -> Run:
        run = store.init_run_dir(ctx, run_id)
        run.set("id", run_id)
        run.set("initialized", started or 1)
        if started is not None:
            run.set("started", started)
        if exit_status is not None:
            run.set("exit_status", exit_status)
        run.set("flags", flags or {})
        if label is not None:
            run.set("label", label)
        if tags:
            run.set("tags", tags)
        opref.write(run.path, opref.OpRef("guildfile", str(ctx.cwd / "guild.yml"), "", model, op))
        return run

    return make
