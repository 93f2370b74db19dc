#!/usr/bin/env python3
"""Per-run cost of the queue: N staged trivial runs through ``guildlike queue`` vs a batch.

Each repetition stages N trials of a trivial op (``run tiny x=[...]
--stage-trials``, not timed), then times ``guildlike queue -n K --run-once
--poll-interval 0.05`` starting them all; the same N as a grid batch with
``--max-parallel K`` is timed alongside, round-robin. The queue starts each
run in a process of its own (a Python start-up per run), a batch in a
thread of its process. No figure is asserted anywhere; this only reports.

    python bench/queue_overhead.py              # N=20, K=2, 3 repetitions
    python bench/queue_overhead.py -n 40 -k 4 -r 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

GUILD_YML = """\
tiny:
  description: A trivial operation for timing the queue
  main: tiny
  flags-import: all
"""


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--runs", type=int, default=20, help="staged runs (default 20)")
    ap.add_argument("-k", "--parallel", type=int, default=2, help="runs at once (default 2)")
    ap.add_argument("-r", "--repeat", type=int, default=3, help="repetitions (default 3)")
    args = ap.parse_args(argv)
    gl = common.guildlike_bin()
    grid = "x=[" + ",".join(str(i) for i in range(1, args.runs + 1)) + "]"
    queue_s: list[float] = []
    batch_s: list[float] = []
    print(f"machine: {common.machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="guildlike-bench-queue-") as tmp:
        proj = Path(tmp) / "project"
        proj.mkdir()
        (proj / "tiny.py").write_text("x = 0\nprint(x)\n")
        (proj / "guild.yml").write_text(GUILD_YML)
        env = common.base_env(GUILDLIKE_HOME=str(Path(tmp) / "home"))
        for _ in range(args.repeat):
            _timed([gl, "run", "tiny", grid, "--stage-trials", "-y"], env, proj)
            queue_s.append(_timed([gl, "queue", "-n", str(args.parallel), "--run-once", "--poll-interval", "0.05"],
                                  env, proj))
            batch_s.append(_timed([gl, "run", "tiny", grid, "--max-parallel", str(args.parallel), "-y"], env, proj))
    q, b = statistics.median(queue_s), statistics.median(batch_s)
    rows = [
        [f"`queue -n {args.parallel} --run-once` over {args.runs} staged runs", common.fmt_s(q),
         f"{q / args.runs * 1000:.0f}"],
        [f"`run tiny x=[1..{args.runs}] --max-parallel {args.parallel}`", common.fmt_s(b),
         f"{b / args.runs * 1000:.0f}"],
    ]
    print(common.table(["command (median of %d)" % args.repeat, "wall", "ms per run"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
