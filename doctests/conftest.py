"""Collects every Markdown file in this folder as a doctest (see ``specs.py``).

Each file runs with ELLIPSIS and NORMALIZE_WHITESPACE, in a fresh home, with
the helpers of ``doctests/support.py`` as globals. A line holding only
``???`` in expected output matches any lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from specs import MarkdownSpec


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".md" and file_path.parent == Path(__file__).parent:
        return MarkdownSpec.from_parent(parent, path=file_path)
    return None
