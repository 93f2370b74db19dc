"""Starting an operation's process and teeing its output.

The process runs in its own process group so that a signal stops the whole
group. Its stdout and stderr go both to the UI and, as they came, to the
run's ``.guild/output``. SIGINT and SIGTERM received by guildlike are passed
on to the group; the run is then marked terminated.
"""

from __future__ import annotations

import os
import selectors
import sys
import signal
import subprocess
from pathlib import Path
from typing import Callable

from ..context import Context
from ..errors import RunStoreError


class Interrupted(Exception):
    """guildlike was asked to stop (SIGINT/SIGTERM) while a run was going."""

    def __init__(self, signum: int, exit_code: int = 0) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = exit_code


def _forwarding_handler(proc: subprocess.Popen[bytes], received: list[int]) -> Callable[[int, object], None]:
    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        try:
            os.killpg(proc.pid, signum if len(received) < 3 else signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    return handler


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM us when guildlike dies (even by kill -9),
    so an operation is never left running without anyone to record its end."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl
            os._exit(143)
    except Exception:
        pass


def run_process(
    ctx: Context,
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    output_path: Path,
    on_start: Callable[[int], None],
) -> int:
    """Run ``cmd`` to the end; returns its exit status (negative: killed by a signal).

    Raises ``Interrupted`` after the process has ended when guildlike itself
    received SIGINT or SIGTERM.
    """
    try:
        out = open(output_path, "ab")
    except OSError as e:
        raise RunStoreError(f"cannot write {output_path}: {e.strerror}") from e
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    except OSError as e:
        out.close()
        raise RunStoreError(f"cannot start {cmd[0]}: {e.strerror}") from e
    received: list[int] = []
    handler = _forwarding_handler(proc, received)
    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            old[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass
    try:
        on_start(proc.pid)
        _tee(ctx, proc, out)
        code = proc.wait()
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
        out.close()
    if received:
        raise Interrupted(received[0], code)
    return code


def _tee(ctx: Context, proc: subprocess.Popen[bytes], out: object) -> None:
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, False)
    sel.register(proc.stderr, selectors.EVENT_READ, True)
    open_count = 2
    while open_count:
        try:
            events = sel.select()
        except InterruptedError:
            continue
        for key, _ in events:
            try:
                data = os.read(key.fd, 65536)
            except InterruptedError:
                continue
            if not data:
                sel.unregister(key.fileobj)
                open_count -= 1
                continue
            out.write(data)  # type: ignore[attr-defined]
            out.flush()  # type: ignore[attr-defined]
            ctx.ui.stream(data, key.data)
    sel.close()
