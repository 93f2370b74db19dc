"""The starter process of a run a queue takes (see ``queue``).

Invoked as ``python -m guildlike.ops.queue_main FD RUN_ID EXECUTOR GPUS``,
detached (EXECUTOR empty for the local one, GPUS the run's ``--gpus`` as
JSON, ``null`` for none). It takes the run's claim, and answers the queue on FD with one
line before it starts the run:

- ``claimed``: the run was staged and is this process's to start;
- ``busy STATUS``: another process holds the claim, or the run is no
  longer staged (another queue, a batch or ``run --start`` took it);
- ``error MESSAGE``: the executor cannot take runs (the run stays staged).

It then runs the run to its end, holding the claim, as ``run --start``
does. A run that fails before its process starts (a dependency that cannot
be resolved, an operation that is gone) ends ``error`` here, with one
attempt and the reason in its output: it is not staged any more, so no
queue takes it again.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

from ..context import Context
from ..errors import GuildlikeError, RunFailed
from ..store import status, store
from ..store.run import Run
from .engine import Engine
from .executors import Executor, make_executor
from .lifecycle import finish, mark_started
from .opdefs import recorded_opdef
from .options import RunOptions
from .queue import QUEUE_TRIGGER

Answer = Callable[[str], None]


def start_claimed(ctx: Context, run_id: str, executor_spec: str, gpus: str | None, answer: Answer) -> int:
    """Claim the staged run ``run_id``, ``answer`` the queue, and run it; the exit status."""
    try:
        executor: Executor = make_executor(ctx, executor_spec or "local")
    except GuildlikeError as e:
        answer(f"error {e.message}")
        return e.exit_code
    run = store.run_for_id(ctx, run_id)
    with status.claim(run.path) as mine:
        run.invalidate()
        st = run.status if mine else "claimed by another process"
        if st != status.STAGED:
            answer(f"busy {st}")
            return 0
        answer("claimed")
        return _start(ctx, Engine(ctx, executor), run, RunOptions(trigger=QUEUE_TRIGGER, gpus=gpus))


def _start(ctx: Context, engine: Engine, run: Run, opts: RunOptions) -> int:
    try:
        engine.start(run, recorded_opdef(run), opts)
    except RunFailed as e:
        return e.exit_code
    except GuildlikeError as e:
        _fail_unstarted(ctx, run, opts, e.message, e.exit_code)
        return e.exit_code
    except Exception as e:  # noqa: BLE001 - a bug: the run must not stay staged for the next queue
        _fail_unstarted(ctx, run, opts, f"internal error: {type(e).__name__}: {e}", 1)
        return 1
    return 0


def _fail_unstarted(ctx: Context, run: Run, opts: RunOptions, message: str, code: int) -> None:
    """End ``run`` as an ``error`` with one attempt when it never left ``staged``."""
    run.invalidate()
    if run.status != status.STAGED:
        return  # it started: its end is written already
    mark_started(ctx, run, opts)
    with open(run.guild_dir / "output", "ab") as out:
        out.write(f"guildlike: {message}\n".encode())
    finish(run, code)


def main(argv: list[str]) -> int:
    try:
        fd, run_id, executor, gpus = int(argv[0]), argv[1], argv[2], json.loads(argv[3])
    except (IndexError, ValueError):
        return 2

    def answer(line: str) -> None:
        try:
            os.write(fd, (line.replace("\n", " ") + "\n").encode())
            os.close(fd)
        except OSError:  # the queue has gone: the run is ours all the same
            pass

    return start_claimed(Context.from_env(), run_id, executor, gpus if isinstance(gpus, str) else None, answer)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))  # the detached process's entry point, as background_main is
