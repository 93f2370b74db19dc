"""What a run needs of the worker that runs it: the op's ``resources:`` and ``--gpus``.

A cluster executor passes them on to its scheduler (Dask worker resources),
so a run only starts on a worker that has them; here they run anyway.
"""

from __future__ import annotations

from ..guildfile.opdef import OpDef
from .options import RunOptions

GPU = "GPU"


def task_resources(opdef: OpDef, opts: RunOptions) -> dict[str, float]:
    """The op's ``resources:``; ``--gpus DEVICES`` asks for as many GPUs as it names."""
    wanted = dict(opdef.resources)
    if opts.gpus:
        wanted[GPU] = float(len(opts.gpus.split(",")))
    return wanted
