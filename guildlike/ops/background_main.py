"""The detached process of a background run (see ``background``).

Invoked as ``python -m guildlike.ops.background_main FD REQUEST``: FD is the
pipe to report on until the run starts, REQUEST the ``Request`` as JSON.
The exit status is the run's, as ``guildlike run`` in the foreground would
end with; nobody waits for it, the run's record is what counts.
"""

from __future__ import annotations

import sys

from ..context import Context
from ..errors import GuildlikeError, RunFailed
from .background import ReportingUI, Request
from .engine import Engine
from .executors import make_executor


def main(argv: list[str]) -> int:
    try:
        fd = int(argv[0])
    except (IndexError, ValueError):
        return 2
    ui = ReportingUI(fd)
    try:
        request = Request.decode(argv[1] if len(argv) > 1 else "")
        ctx = Context.from_env(ui=ui)
        Engine(ctx, make_executor(ctx, request.executor)).perform(request)
    except RunFailed as e:
        return e.exit_code
    except GuildlikeError as e:
        ui.error(e)
        return e.exit_code
    except Exception as e:  # noqa: BLE001 - a bug: reported to the caller as one line
        ui.error(GuildlikeError(f"internal error: {type(e).__name__}: {e}"))
        return 1
    finally:
        ui.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))  # the detached process's entry point, as op_main is the op's
