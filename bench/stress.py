"""Stress: many writers in one home, with writers killed (kill -9) at random.

    python bench/stress.py                          # 8 writers x 50 runs, 4 kills
    python bench/stress.py --writers 16 --runs 500 --faults 20

Each writer is a process that starts runs one after the other (the trivial
`noop` operation of tests/reliability/project; every --pipeline-every-th is
the `noops` pipeline, a run and two step runs), in-process through
``guildlike.cli.main`` as the `guildlike` command would. Before a run it
logs "start ID" and after it "done ID" (flushed), so what a writer finished
is known even when it is killed. Two listers list the runs all along. A fault
thread kills writers with SIGKILL at random moments; each killed writer is
replaced by one that makes the runs it had left.

Afterwards, with no writer alive, it checks:

- runs lost: a run a writer finished ("done") whose folder is missing, or
  whose attribute files do not all parse (must be 0);
- runs misreported: a finished run not listed as `completed`; any run listed
  as `running` or `pending`; a run whose listed status differs from the
  status read from its folder; a run killed while being made that is listed
  as `completed` without an exit status (must be 0);
- ids unique, the index agreeing with the folders (`check --no-repair`
  after `check` repaired what killed writers leave: stale LOCK files and
  unfinished preparations).

Exit status 0 when nothing was lost or misreported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "tests" / "reliability" / "project"


# -- the worker ---------------------------------------------------------------

# In-process CLI calls with captured output: the reliability tests' writer has them.
sys.path.insert(0, str(PROJECT.parent))
from writer import _stream, _text  # noqa: E402


def worker(runs: int, pipeline_every: int, log_path: str, seed: int) -> None:
    from guildlike.cli.main import main

    rnd = random.Random(seed)
    with open(log_path, "a", buffering=1) as log:
        for i in range(runs):
            rid = uuid.uuid4().hex
            pipeline = pipeline_every > 0 and rnd.randrange(pipeline_every) == 0
            op = "noops" if pipeline else "noop"
            log.write(f"start {rid} {op}\n")
            out, err = _stream(), _stream()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["run", "-y", op, "--run-id", rid])
            text = _text(err)
            if code != 0 or "Traceback" in text:
                log.write(f"failed {rid} {code} {text!r}\n")
            else:
                log.write(f"done {rid} {op}\n")


def lister(stop_path: str, log_path: str) -> None:
    from guildlike.cli.main import main

    n = 0
    while not os.path.exists(stop_path):
        out, err = _stream(), _stream()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["runs", "-a"])
        text = _text(err)
        if code != 0 or "Traceback" in text:
            with open(log_path, "a") as f:
                f.write(f"listing failed {code} {text!r}\n")
        n += 1
    with open(log_path, "a") as f:
        f.write(f"listings {n}\n")


# -- the driver ---------------------------------------------------------------

class Writers:
    def __init__(self, work: Path, env: dict[str, str], runs: int, pipeline_every: int) -> None:
        self.work = work
        self.env = env
        self.runs = runs
        self.pipeline_every = pipeline_every
        self.lock = threading.Lock()
        self.procs: dict[int, tuple[subprocess.Popen[bytes], Path, int]] = {}  # slot -> (proc, log, runs asked)
        self.logs: list[Path] = []
        self.spawned = 0

    def spawn(self, slot: int, runs: int) -> None:
        log = self.work / f"writer-{self.spawned}.log"
        self.logs.append(log)
        p = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(runs), str(self.pipeline_every), str(log), str(self.spawned)],
            cwd=str(self.work / "project"), env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.spawned += 1
        self.procs[slot] = (p, log, runs)

    def done_count(self, log: Path) -> int:
        try:
            return sum(1 for line in log.read_text().splitlines() if line.startswith(("done ", "failed ")))
        except FileNotFoundError:
            return 0


def driver(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="guildlike-stress-"))
    home = work / "home"
    shutil.copytree(PROJECT, work / "project")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUILDLIKE_")}
    env["GUILDLIKE_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    rnd = random.Random(args.seed)
    t0 = time.monotonic()

    w = Writers(work, env, args.runs, args.pipeline_every)
    with w.lock:
        for slot in range(args.writers):
            w.spawn(slot, args.runs)
    stop = work / "stop"
    listers = [
        subprocess.Popen([sys.executable, __file__, "--lister", str(stop), str(work / f"lister-{i}.log")],
                         cwd=str(work / "project"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for i in range(args.listers)
    ]

    # Spread the kills over the work: the i-th when that share of the runs is done.
    total = args.writers * args.runs
    kill_at = sorted(int(rnd.uniform(0.02, 0.95) * total) for _ in range(args.faults))
    faults = 0
    progress, last_poll = 0, 0.0
    errors: list[str] = []
    while True:
        with w.lock:
            live = {s: v for s, v in w.procs.items() if v[0].poll() is None}
            for slot, (p, log, asked) in list(w.procs.items()):
                if p.poll() is not None and p.returncode not in (0, -signal.SIGKILL):
                    errors.append(f"writer {log.name} exited {p.returncode}: {p.stderr.read().decode()[-2000:] if p.stderr else ''}")
                    del w.procs[slot]
        if not live:
            break
        now = time.monotonic() - t0
        if kill_at and now - last_poll > 0.1:
            last_poll = now
            progress = sum(w.done_count(log) for log in w.logs)
        if kill_at and progress >= kill_at[0]:
            kill_at.pop(0)
            progress = -1  # read it again before the next kill
            with w.lock:
                slot = rnd.choice(sorted(live))
                p, log, asked = w.procs[slot]
                p.send_signal(signal.SIGKILL)
                p.wait()
                faults += 1
                left = asked - w.done_count(log)
                if left > 0:
                    w.spawn(slot, left)
            continue
        time.sleep(0.02)
    elapsed = time.monotonic() - t0
    stop.write_text("")
    for p in listers:
        p.wait()
        if p.returncode != 0:
            errors.append(f"lister exited {p.returncode}: {p.stderr.read().decode()[-2000:] if p.stderr else ''}")

    # What the writers did.
    started: dict[str, str] = {}
    done: dict[str, str] = {}
    for log in w.logs:
        for line in log.read_text().splitlines():
            kind, rid, *rest = line.split(" ", 2) + [""]
            if kind == "start":
                started[rid] = rest[0]
            elif kind == "done":
                done[rid] = rest[0]
            elif kind == "failed":
                errors.append(f"run {rid} failed: {rest[0]}")
    listings = 0
    for i in range(args.listers):
        for line in (work / f"lister-{i}.log").read_text().splitlines():
            if line.startswith("listings "):
                listings += int(line.split()[1])
            else:
                errors.append(line)

    report = verify(home, started, done)
    report.update(
        writers=args.writers, runs_per_writer=args.runs, writer_processes=w.spawned, faults_injected=faults,
        runs_written=len(done), run_dirs_per_pipeline=3, listings=listings, seconds=round(elapsed, 1),
        runs_per_second=round(len(done) / elapsed, 1) if elapsed else 0.0, errors=errors[:10], home=str(home),
    )
    print_report(report, args)
    ok = report["runs_lost"] == 0 and report["runs_misreported"] == 0 and not errors and report["ids_unique"]
    if ok and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def verify(home: Path, started: dict[str, str], done: dict[str, str]) -> dict[str, Any]:
    import yaml

    from guildlike.context import Context
    from guildlike.store import attrs as attrs_mod
    from guildlike.store import doctor, store
    from guildlike.store.filters import RunFilter
    from guildlike.store.run import Run

    ctx = Context(home=home, cwd=home)
    runs_dir = ctx.runs_dir
    names = sorted(os.listdir(runs_dir)) if runs_dir.is_dir() else []
    dirs = [n for n in names if not n.startswith(".")]
    lost: list[str] = []
    misreported: list[str] = []

    # Every run a writer finished is there, whole, and completed.
    for rid in done:
        path = runs_dir / rid
        if not path.is_dir():
            lost.append(f"{rid}: no folder")
            continue
        try:
            for name in attrs_mod.names(path):
                yaml.safe_load((path / ".guild" / "attrs" / name).read_text())
        except Exception as e:
            lost.append(f"{rid}: attribute does not parse: {e}")

    # What the listing says against what the folders say.
    listed = {r.id: r for r in store.list_runs(ctx, RunFilter())}
    ids_attr = []
    for rid in dirs:
        fresh = Run(rid, runs_dir / rid)
        try:
            truth = fresh.status
            ids_attr.append(fresh.get("id"))
            exit_status = fresh.get("exit_status")
        except Exception as e:
            misreported.append(f"{rid}: cannot be read: {e}")
            continue
        shown = listed[rid].status if rid in listed else None
        if shown is None:
            misreported.append(f"{rid}: not listed")
        elif shown != truth:
            misreported.append(f"{rid}: listed {shown}, folder says {truth}")
        if shown in ("running", "pending") or truth in ("running", "pending"):
            misreported.append(f"{rid}: {shown} with no writer alive")
        if rid in done and truth != "completed":
            misreported.append(f"{rid}: finished by its writer but {truth}")
        if rid not in done and truth == "completed" and exit_status is None:
            misreported.append(f"{rid}: completed without an exit status")
    ids_unique = len(ids_attr) == len(set(ids_attr)) and sorted(str(i) for i in ids_attr) == sorted(dirs)

    interrupted = [rid for rid in started if rid not in done]
    by_status: dict[str, int] = {}
    for rid in interrupted:
        if rid in listed:
            st = listed[rid].status
            by_status[st] = by_status.get(st, 0) + 1
    interrupted_listed = ", ".join(f"{n} {st}" for st, n in sorted(by_status.items())) or "none listed"
    repair = doctor.check(ctx, repair=True)
    after = doctor.check(ctx, repair=False)
    return {
        "run_dirs": len(dirs),
        "runs_lost": len(lost),
        "runs_misreported": len(misreported),
        "lost": lost[:10],
        "misreported": misreported[:10],
        "ids_unique": ids_unique,
        "interrupted_runs": len(interrupted),
        "interrupted_runs_listed": interrupted_listed,
        "check_repaired": sum(1 for ln in repair.lines if ln.startswith("repaired: ")),
        "check_after_repair": after.lines if after.unrepaired else [],
    }


def print_report(r: dict[str, Any], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(r, indent=1))
        return
    print(f"guildlike stress: {r['writers']} writers x {r['runs_per_writer']} runs "
          f"(a pipeline about 1 in {args.pipeline_every}), {args.listers} listers, seed {args.seed}")
    print(f"  runs written (finished by a writer): {r['runs_written']}")
    print(f"  run folders in the home:             {r['run_dirs']}")
    print(f"  faults injected (kill -9 of writers): {r['faults_injected']} "
          f"({r['writer_processes']} writer processes in all)")
    print(f"  runs interrupted by a kill:          {r['interrupted_runs']} "
          f"(listed as: {r['interrupted_runs_listed']}; killed while being made: not listed)")
    print(f"  listings during the run:             {r['listings']}")
    print(f"  runs lost:                           {r['runs_lost']}")
    print(f"  runs misreported:                    {r['runs_misreported']}")
    print(f"  ids unique:                          {'yes' if r['ids_unique'] else 'NO'}")
    print(f"  check repaired (stale LOCKs, unfinished preparations): {r['check_repaired']}")
    print(f"  check --no-repair afterwards:        "
          f"{'no problems' if not r['check_after_repair'] else '; '.join(r['check_after_repair'][:5])}")
    print(f"  time: {r['seconds']} s ({r['runs_per_second']} runs/s)")
    for key in ("lost", "misreported", "errors"):
        for line in r[key]:
            print(f"  {key}: {line}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--lister":
        lister(sys.argv[2], sys.argv[3])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--runs", type=int, default=50, help="runs per writer")
    ap.add_argument("--faults", type=int, default=4, help="writers killed with SIGKILL at random moments")
    ap.add_argument("--pipeline-every", type=int, default=10, help="about one run in N is a pipeline")
    ap.add_argument("--listers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    return driver(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
