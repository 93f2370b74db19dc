"""A real Dask cluster for tests: a scheduler and workers, each a process of its own,
over one home (the shared filesystem is this machine's). Each worker stands for a
host of its own (GUILDLIKE_HOST w1, w2...), so the CLI judges its runs as a
machine that cannot see their processes would: by their heartbeats."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:
    import distributed
except ImportError:
    distributed = None

SKIP_REASON = "the Dask executor needs guildlike[dask] (distributed)"


@dataclass
class Cluster:
    spec: str  # what --executor takes
    workers: list[subprocess.Popen[bytes]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def start_cluster(tmp_path: Path, resources: list[str | None] | None = None, nthreads: int = 2,
                  env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A scheduler and one worker per item of ``resources`` (``GPU=1`` or None), named w1, w2..."""
    resources = resources if resources is not None else [None, None]
    port = free_port()
    # No hidden retries: a task whose worker dies is not run again elsewhere.
    env = dict(env or os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    address = f"127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    log = open(tmp_path / "cluster.log", "ab")
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], env=env, stdout=log, stderr=log))
        for n, res in enumerate(resources, 1):
            extra = ["--resources", res] if res else []
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://{address}", "--nthreads", str(nthreads),
                 "--no-nanny", "--no-dashboard", "--name", f"w{n}", "--local-directory", str(tmp_path / f"w{n}"),
                 *extra], env=dict(env, GUILDLIKE_HOST=f"w{n}"), stdout=log, stderr=log))
        with distributed.Client(f"tcp://{address}", timeout="30s") as client:
            client.wait_for_workers(len(resources), timeout=30)
        yield Cluster(f"dask://{address}", procs[1:])
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        log.close()


def gl(cwd: Path, env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guildlike", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def gl_popen(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "guildlike", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def attr(run_dir: Path, name: str) -> Any:
    """One attribute of a run, or None when absent (or moved away while read: a run being
    prepared is renamed into place)."""
    try:
        return yaml.safe_load((run_dir / ".guild" / "attrs" / name).read_text())
    except (FileNotFoundError, NotADirectoryError):
        return None


def run_dirs(home: Path) -> list[Path]:
    """The home's run directories, leaving out runs still being prepared (hidden folders)."""
    runs = home / "runs"
    return [d for d in runs.iterdir() if not d.name.startswith(".")] if runs.is_dir() else []


def trials(home: Path, flag: str = "x") -> dict[Any, Path]:
    """Each trial's run directory by its flag ``flag`` (batch runs are left out)."""
    found = {}
    for run_dir in run_dirs(home):
        flags = attr(run_dir, "flags") or {}
        if flag in flags and (run_dir / ".guild" / "attrs" / "_parent").exists():
            found[flags[flag]] = run_dir
    return found


def status_of(cwd: Path, env: dict[str, str], run_dir: Path) -> str:
    """The run's status as `guildlike select -a status` says it (from the CLI's host)."""
    return gl(cwd, env, "select", run_dir.name, "-a", "status").stdout.strip()
