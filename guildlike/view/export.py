"""``view --export``: placeholder."""
from __future__ import annotations

from collections.abc import Sequence

from ..context import Context
from ..store.run import Run


def write(ctx: Context, path: str, runs: Sequence[Run]) -> int:
    return 0
