"""Ctrl-C stops trials running side by side (--max-parallel), and --needed finishes them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_sigint_stops_parallel_trials_and_restart_finishes(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\nsecs = 30\nprint('start', flush=True)\ntime.sleep(secs)\n")
    env = dict(os.environ, GUILDLIKE_HOME=str(tmp_path / "home"))

    def gl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "guildlike", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    p = subprocess.Popen([sys.executable, "-m", "guildlike", "run", "slow.py", "secs=[30,30,30]",
                          "--max-parallel", "2", "--keep-batch", "-y"],
                         cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.stdout is not None
    started = 0
    deadline = time.time() + 60
    while started < 2 and time.time() < deadline:
        if p.stdout.readline().strip() == b"start":
            started += 1
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=20) == 130
    assert time.time() - t0 < 15  # did not wait for the 30 s trials
    listed = gl("runs", "-s").stdout
    assert listed.count("terminated") == 3, listed  # two trials and the batch
    batch = gl("select", "-Fo", "slow.py+").stdout.strip()
    (tmp_path / "slow.py").write_text("secs = 30\nprint('quick')\n")
    res = gl("run", "--restart", batch, "--needed", "--force-sourcecode", "secs=[30,30,30]", "-y")
    assert res.returncode == 0, res.stderr
    assert gl("runs", "-s", "-Sc").stdout.count("slow.py ") == 3
