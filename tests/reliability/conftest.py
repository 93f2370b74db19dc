"""The ``genv`` fixture: a fresh home and project copy for each test (see reliability_support)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_support import Env  # noqa: E402


@pytest.fixture
def genv(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    try:
        yield e
    finally:
        e.close()
