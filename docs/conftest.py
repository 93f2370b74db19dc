"""Runs the pages of this folder that show ``>>> `` examples as specs, the
way ``doctests/*.md`` run (see ``doctests/specs.py``), so that the commands
and output the user guide shows stay true."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "doctests"))

from specs import collect_page  # type: ignore[import-not-found]  # found through the path above


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.parent == Path(__file__).parent:
        spec: pytest.Collector | None = collect_page(parent, file_path)
        return spec
    return None
