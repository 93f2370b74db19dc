"""The side that runs a run keeps it alive to other machines and stops it when asked.

While a ``Heartbeat`` is open, a small thread touches the run's heartbeat
(``store.liveness``) and watches its stop marker. When the marker appears
it calls ``on_stop(SIGTERM)``, and ``on_stop(SIGKILL)`` once the grace
period the marker names has passed with the run still going. ``on_stop``
returns False when it could not act yet (the process has not started):
it is asked again at the next look.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from ..store import liveness

_LOOK_S = 0.5  # how often the stop marker is looked for


class Heartbeat:
    def __init__(self, run_dir: Path, on_stop: Callable[[int], bool]) -> None:
        self.run_dir = run_dir
        self.on_stop = on_stop
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_dir.name}", daemon=True)

    def __enter__(self) -> Heartbeat:
        liveness.beat(self.run_dir)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        interval = liveness.beat_interval()
        look = min(_LOOK_S, interval)
        next_beat = time.monotonic() + interval
        kill_at: float | None = None
        termed = killed = False
        while not self._done.wait(look):
            now = time.monotonic()
            if now >= next_beat:
                liveness.beat(self.run_dir)
                next_beat = now + interval
            if not termed:
                grace = liveness.stop_grace(self.run_dir)
                if grace is not None and self._act(signal.SIGTERM):
                    termed, kill_at = True, now + grace
            elif not killed and kill_at is not None and now >= kill_at:
                killed = self._act(signal.SIGKILL)

    def _act(self, sig: int) -> bool:
        try:
            return self.on_stop(sig)
        except Exception:  # a stop that fails must not end the heartbeat
            return False
