#!/usr/bin/env python3
"""Where a trivial ``guildlike run`` (or a 5-step pipeline) spends its time, in-process.

Times, with light wall-clock wrappers (see profile_listing.py), the import of
the modules the command needs and the library functions a run goes through;
the op's own process (``python -um guildlike.op_main``) is part of
``ops/process.py:run_process``. Runs the command a few times in a fresh home
and prints the medians per function.

    python bench/profile_run.py              # guildlike run hello.py -y
    python bench/profile_run.py --pipeline   # guildlike run pipe -y (5 steps)

Nothing under guildlike/ is changed: the timers are wrapped at run time.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import common
import profile_listing as pl
import startup

TARGETS = [
    ("guildlike.ops.run", "run_op"),
    ("guildlike.ops.run", "resolve_opdef"),
    ("guildlike.ops.run", "run_opdef"),
    ("guildlike.ops.run", "matching_runs"),
    ("guildlike.ops.run", "prepare_run"),
    ("guildlike.ops.run", "snapshot_source"),
    ("guildlike.ops.run", "_platform"),
    ("guildlike.ops.run", "start_run"),
    ("guildlike.ops.run", "execute"),
    ("guildlike.ops.run", "mark_started"),
    ("guildlike.ops.run", "finish"),
    ("guildlike.ops.run", "_capture_scalars"),
    ("guildlike.ops.opcmd", "build"),
    ("guildlike.ops.process", "run_process"),
    ("guildlike.ops.steps", "run_pipeline"),
    ("guildlike.ops.steps", "validate"),
    ("guildlike.store.run", "Run.set"),
    ("guildlike.store.attrs", "encode"),
    ("guildlike.util.files", "atomic_write"),
    ("guildlike.util.yamlutil", "dump"),
    ("guildlike.util.yamlutil", "load"),
    ("guildlike.store.status", "write_lock"),
    ("guildlike.store.status", "process_create_time"),
    ("guildlike.store.store", "list_runs"),
    ("guildlike.store.index", "refresh"),
    ("guildlike.guildfile.load", "resolve"),
    ("guildlike.guildfile.load", "load"),
    ("guildlike.guildfile.flags_import", "inspect_script"),
    ("guildlike.guildfile.sourcecode", "select_files"),
    ("guildlike.guildfile.sourcecode", "copy_files"),
    ("guildlike.guildfile.sourcecode", "digest"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pipeline", action="store_true", help="profile `guildlike run pipe -y` (5 trivial steps)")
    ap.add_argument("-r", "--repeat", type=int, default=5)
    ap.add_argument("--bytecode", choices=("cache", "env"), default="cache")
    ap.add_argument("--rev", metavar="REV", help="profile guildlike as of this git revision instead of the working tree")
    a = ap.parse_args(argv)
    common.configure(a)
    if common.SOURCE is not None:
        sys.path.insert(0, str(common.SOURCE))
    os.environ.update({k: v for k, v in common.base_env().items() if k.startswith("PYTHON")})
    if a.bytecode == "cache":
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    print(common.source_desc())
    tmp = Path(tempfile.mkdtemp(prefix="guildlike-bench-prun-"))
    proj = startup.make_project(tmp)
    home = tmp / "home"
    home.mkdir()
    os.environ["GUILDLIKE_HOME"] = str(home)
    os.chdir(proj)
    t0 = time.perf_counter()
    import guildlike.cli.main as climain

    mods = {m for m, _ in TARGETS}
    for m in sorted(mods):
        importlib.import_module(m)
    t_import = time.perf_counter() - t0
    pl.TARGETS[:] = TARGETS
    pl.install()
    args = ["run", "pipe" if a.pipeline else "hello.py", "-y"]
    per: dict[str, list[float]] = {}
    calls: dict[str, int] = {}
    totals = []
    for i in range(a.repeat + 1):
        pl.stats.clear()
        t = time.perf_counter()
        with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
            err, sys.stderr = sys.stderr, devnull
            try:
                climain.main(args)
            finally:
                sys.stderr = err
        if i == 0:
            continue  # warm-up
        totals.append(time.perf_counter() - t)
        for k, (tt, c) in pl.stats.items():
            per.setdefault(k, []).append(tt)
            calls[k] = int(c)
    total = statistics.median(totals)
    rows = sorted(((statistics.median(v), k) for k, v in per.items()), reverse=True)
    print(f"guildlike {' '.join(args)}: imports {t_import * 1000:.0f} ms (once, in this process); command median {total * 1000:.0f} ms over {a.repeat} runs (after one warm-up)")
    print(common.table(["function (inclusive)", "calls", "median total", "share"], [[k, calls[k], f"{t * 1000:.1f} ms", f"{t / total * 100:.0f}%"] for t, k in rows]))
    os.chdir("/")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
