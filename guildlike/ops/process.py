"""Starting an operation's process and teeing its output.

The process runs in its own process group so that a signal stops the whole
group. Its stdout and stderr go both to the UI and, as they came, to the
run's ``.guild/output``. SIGINT and SIGTERM received by guildlike are passed
on to the group; the run is then marked terminated.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import Interrupted, RunStoreError
from ..util.files import store_error

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long a process group stopped by guildlike itself (its output cannot be
# written, ...) gets between SIGTERM and SIGKILL.
_STOP_GRACE_S = 5.0
# How long the tee waits for output before feeding ``on_output`` nothing, so
# that what it holds back (scalars parsed in batches) is not held while a run is quiet.
_IDLE_S = 0.25


def _install(handler: Callable[[int, Any], None]) -> dict[int, Any]:
    old: dict[int, Any] = {}
    for sig in _STOP_SIGNALS:
        try:
            old[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass
    return old


def _restore(old: dict[int, Any]) -> None:
    for sig, h in old.items():
        signal.signal(sig, h)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """Inside, SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` (main thread only).

    A pipeline runs inside, so a signal that comes between two steps stops it
    as one that comes while a step's process runs does: it is recorded as
    terminated, not left to the default action (an error, or no record).
    """

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signum, 128 + signum)

    old = _install(handler)
    try:
        yield
    finally:
        _restore(old)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Inside, SIGINT, SIGTERM and SIGHUP are held back (main thread only); the
    first raises ``Interrupted`` once the block is done. A run's end is then
    written whole even when a stop request comes while it is written."""
    received: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        received.append(signum)

    old = _install(hold)
    try:
        yield
    finally:
        _restore(old)
    if received:
        raise Interrupted(received[0], 128 + received[0])


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM us when guildlike dies (even by kill -9),
    so an operation is never left running without anyone to record its end."""
    try:
        import ctypes  # lazy: start-up speed; only to ask the kernel for a parent-death signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl
            os._exit(143)
    except Exception:
        pass


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pid`` leads (one started by ``run_process``)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_killpg = signal_group


def signal_child_groups(signum: int) -> None:
    """Send ``signum`` to the process group of each process this one started."""
    import psutil  # lazy: start-up speed, runs start without psutil

    for child in psutil.Process().children():
        signal_group(child.pid, signum)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process group of ``proc`` (SIGTERM, then SIGKILL) and reap ``proc``."""
    _killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        _killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _start(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a process group of its own, its output piped to us."""
    try:
        return subprocess.Popen(
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
        raise RunStoreError(f"cannot start {cmd[0]}: {e.strerror}") from e


def run_process(
    ctx: Context,
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    output_path: Path,
    on_start: Callable[[int], None],
    whole_lines: bool = False,
    on_output: Callable[[bytes, bool], None] | None = None,
) -> int:
    """Run ``cmd`` to the end; returns its exit status (negative: killed by a signal).

    With ``whole_lines`` (trials running side by side) the UI gets the
    output a line at a time, so lines of two processes never mix; otherwise
    it gets it as it comes (progress bars without newlines show at once).
    ``on_output`` gets the output too (stdout or stderr as ``err``), after it
    is written; an error there is not the run's: it stops the feed only.

    Raises ``Interrupted`` after the process has ended when guildlike itself
    received SIGINT or SIGTERM. When guildlike cannot go on (the output cannot
    be written, ``on_start`` fails) the process group is stopped before the
    error is raised: no process is left running unrecorded.
    """
    try:
        out = open(output_path, "ab")
    except OSError as e:
        raise store_error(e, output_path) from e
    received: list[int] = []
    started: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: Any) -> None:
        received.append(signum)
        if started:
            _killpg(started[0].pid, signum if len(received) < 3 else signal.SIGKILL)

    # Handlers first: a signal that comes while the process starts is not lost.
    old = _install(forward)
    try:
        proc = _start(cmd, env, cwd)
        started.append(proc)
        if received:
            _killpg(proc.pid, received[0])
        try:
            on_start(proc.pid)
            _tee(ctx, proc, out, output_path, whole_lines, on_output)
        except BaseException:
            _stop(proc)
            raise
        code = proc.wait()
    finally:
        _restore(old)
        try:
            out.close()
        except OSError:
            pass
    if received:
        raise Interrupted(received[0], code)
    return code


def _feed(
    on_output: Callable[[bytes, bool], None], data: bytes, err: bool
) -> Callable[[bytes, bool], None] | None:
    """``on_output`` fed ``data``; None (no more feeding) when it fails."""
    try:
        on_output(data, err)
    except Exception:
        return None
    return on_output


def _tee(
    ctx: Context,
    proc: subprocess.Popen[bytes],
    out: Any,
    output_path: Path,
    whole_lines: bool = False,
    on_output: Callable[[bytes, bool], None] | None = None,
) -> None:
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, False)
    sel.register(proc.stderr, selectors.EVENT_READ, True)
    pending = {False: b"", True: b""}  # a partial last line per stream (whole_lines)
    open_count = 2
    while open_count:
        try:
            events = sel.select(_IDLE_S if on_output is not None else None)
        except InterruptedError:
            continue
        if not events and on_output is not None:  # quiet: let the feed catch up (live scalars)
            on_output = _feed(on_output, b"", False)
        for key, _ in events:
            try:
                data = os.read(key.fd, 65536)
            except InterruptedError:
                continue
            if not data:
                sel.unregister(key.fileobj)
                open_count -= 1
                if pending[key.data]:
                    ctx.ui.stream(pending[key.data], key.data)
                    pending[key.data] = b""
                continue
            try:
                out.write(data)
                out.flush()
            except OSError as e:  # a full disk: stop the run rather than lose its output
                raise store_error(e, output_path) from e
            if on_output is not None:
                on_output = _feed(on_output, data, key.data)
            if whole_lines:
                data = pending[key.data] + data
                cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
                if cut == 0 and len(data) < 65536:
                    pending[key.data] = data
                    continue
                cut = cut or len(data)
                data, pending[key.data] = data[:cut], data[cut:]
            ctx.ui.stream(data, key.data)
    sel.close()
