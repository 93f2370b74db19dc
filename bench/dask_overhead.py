#!/usr/bin/env python3
"""The Dask executor's cost and how soon a dead worker's run shows as failed.

Starts a Dask scheduler and two workers (one thread each) on this machine,
each standing for a host of its own (``GUILDLIKE_HOST``), over one home, and
measures (wall time, medians of ``--repeat`` runs, local and Dask alternating):

- a grid of N no-op trials (default 200) with ``--max-parallel 2`` through
  the local pool and through the cluster: trials per second, and the extra
  time per trial through Dask;
- the time from a worker's SIGKILL to its run showing ``error`` from here
  (another "host"): with the command waiting for the run alive (it sees the
  task lost at once and writes the end), and with that command killed too
  (nobody writes the end: the heartbeat must go stale, default 20 s).

Needs guildlike[dask]. No figure is asserted; this only reports.

    python bench/dask_overhead.py                # 200 trials, 2 repetitions
    python bench/dask_overhead.py -n 50 -r 3
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOOP = "x = 0\n"
SLOW = "import os, time\nprint('start', os.getppid(), flush=True)\ntime.sleep(120)\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cluster(base: Path, env: dict[str, str]) -> tuple[str, list[subprocess.Popen[bytes]]]:
    import distributed

    port = free_port()
    env = dict(env, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    log = open(base / "cluster.log", "ab")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], env=env, stdout=log, stderr=log)]
    for n in (1, 2):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--name", f"w{n}", "--local-directory", str(base / f"w{n}")],
            env=dict(env, GUILDLIKE_HOST=f"w{n}"), stdout=log, stderr=log))
    with distributed.Client(f"tcp://127.0.0.1:{port}", timeout="30s") as client:
        client.wait_for_workers(2, timeout=30)
    return f"dask://127.0.0.1:{port}", procs


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_status(home: Path, run_id: str) -> str:
    from guildlike.store.run import Run

    return Run(run_id, home / "runs" / run_id).status


def death_to_error(proj: Path, env: dict[str, str], spec: str, workers: list[subprocess.Popen[bytes]],
                   kill_client: bool) -> float:
    """Seconds from a worker's SIGKILL to its run showing error here."""
    home = Path(env["GUILDLIKE_HOME"])
    before = set((home / "runs").iterdir()) if (home / "runs").exists() else set()
    client = subprocess.Popen([sys.executable, "-m", "guildlike", "run", "slow.py", "--executor", spec, "-y"],
                              cwd=proj, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = None
    while run_dir is None or not (run_dir / ".guild" / "output").exists() or \
            not (run_dir / ".guild" / "output").read_text().startswith("start"):
        new = set((home / "runs").iterdir()) - before if (home / "runs").exists() else set()
        run_dir = next(iter(new), None)
        time.sleep(0.05)
    victim = int((run_dir / ".guild" / "output").read_text().split()[1])
    if kill_client:
        client.kill()
        client.wait()
    t0 = time.perf_counter()
    os.kill(victim, signal.SIGKILL)
    while run_status(home, run_dir.name) == "running":
        time.sleep(0.05)
    took = time.perf_counter() - t0
    client.wait()
    for w in workers:
        if w.pid == victim:
            w.wait()
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--trials", type=int, default=200, help="no-op trials in the grid (default 200)")
    ap.add_argument("-r", "--repeat", type=int, default=2, help="timed runs of each grid (default 2)")
    args = ap.parse_args(argv)
    n = max(2, args.trials)
    grid = "x=[" + ",".join(str(i) for i in range(1, n + 1)) + "]"
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {load}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="guildlike-bench-dask-") as tmp:
        base = Path(tmp)
        proj = base / "project"
        proj.mkdir()
        (proj / "noop.py").write_text(NOOP)
        (proj / "slow.py").write_text(SLOW)
        env = dict(os.environ, GUILDLIKE_HOME=str(base / "home"))
        env.pop("GUILDLIKE_EXECUTOR", None)
        spec, procs = start_cluster(base, env)
        try:
            run = [sys.executable, "-m", "guildlike", "run", "noop.py", grid, "--max-parallel", "2", "-y"]
            local: list[float] = []
            dask: list[float] = []
            for _ in range(args.repeat):
                local.append(timed(run, proj, env))
                dask.append(timed([*run, "--executor", spec], proj, env))
            lo, da = statistics.median(local), statistics.median(dask)
            print(f"{n} no-op trials, --max-parallel 2, medians of {args.repeat}:")
            print(f"  local pool: {lo:.2f} s ({n / lo:.1f} trials/s)")
            print(f"  Dask, 2 workers: {da:.2f} s ({n / da:.1f} trials/s)")
            print(f"  extra per trial through Dask: {(da - lo) / n * 1000:.1f} ms")
            alive = death_to_error(proj, env, spec, procs[1:], kill_client=False)
            print(f"worker SIGKILL -> run error, command waiting alive: {alive:.2f} s")
        finally:
            for p in reversed(procs):
                if p.poll() is None:
                    p.terminate()
                    p.wait()
        spec, procs = start_cluster(base, env)
        try:
            gone = death_to_error(proj, env, spec, procs[1:], kill_client=True)
            print(f"worker SIGKILL -> run error, command killed too (heartbeat stale): {gone:.2f} s")
        finally:
            for p in reversed(procs):
                if p.poll() is None:
                    p.terminate()
                    p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
