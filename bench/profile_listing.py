#!/usr/bin/env python3
"""Where a listing spends its time: import cost and per-function wall time, in-process.

Two views, both on a home built by make_home.py:

- imports: ``python -X importtime -m guildlike runs`` run several times; for
  each module the smallest self time seen, so machine noise drops out;
  ranked by self time, with the total per top-level package;
- phases: runs ``guildlike runs ARGS`` in this process (stdout to
  /dev/null) with light wall-clock timers wrapped around the library
  functions that do the work (inclusive times and call counts). Unlike
  cProfile, which inflates call-heavy code such as pathlib five- to
  ten-fold, the timers cost well under a microsecond per call.
  ``--cprofile`` prints cProfile's view as well.

    python bench/profile_listing.py --runs 10000 -- -a -s
    python bench/profile_listing.py --runs 100000 -- -Fo train -Sc --started 'after 2026-11-18 00:00'

Nothing under guildlike/ is changed: the timers are wrapped at run time.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import io
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import redirect_stdout
from pathlib import Path

import common
import make_home

# (module, attribute path) of the functions timed; properties are timed through their getter.
TARGETS = [
    ("guildlike.store.index", "list_runs"),
    ("guildlike.store.index", "open_index"),
    ("guildlike.store.index", "refresh"),
    ("guildlike.store.index", "_run_names"),
    ("guildlike.store.index", "_sig"),
    ("guildlike.store.index_rows", "read_run"),
    ("guildlike.store.attrs", "read"),
    ("guildlike.store.attrs", "decode"),
    ("guildlike.util.yamlutil", "load"),
    ("guildlike.store.opref", "read"),
    ("guildlike.store.opref", "OpRef.decode"),
    ("guildlike.store.index_query", "query"),
    ("guildlike.store.index_query", "query_ids"),
    ("guildlike.store.index_rows", "run_from_row"),
    ("guildlike.context", "Context.runs_dir"),
    ("guildlike.store.run", "Run.status"),
    ("guildlike.store.status", "status_from_markers"),
    ("guildlike.store.status", "read_lock"),
    ("guildlike.cli.rows", "full_rows"),
    ("guildlike.cli.rows", "simple_rows"),
    ("guildlike.cli.rows", "cells"),
    ("guildlike.cli.rows", "op_column"),
    ("guildlike.cli.rows", "table"),
    ("guildlike.store.opref", "OpRef.project_dir"),
    ("guildlike.cli.rows", "format_us"),
    ("guildlike.store.timerange", "parse"),
    ("guildlike.cli.ui", "out"),
]

stats: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])


def _timed(key: str, fn):  # type: ignore[no-untyped-def]
    @functools.wraps(fn)
    def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            s = stats[key]
            s[0] += time.perf_counter() - t0
            s[1] += 1

    return wrapper


def _timed_iter(key: str, fn):  # type: ignore[no-untyped-def]
    """For functions returning iterators (the SQL query): time the full iteration."""

    @functools.wraps(fn)
    def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        it = fn(*a, **kw)
        stats[key][0] += time.perf_counter() - t0
        stats[key][1] += 1

        def gen():  # type: ignore[no-untyped-def]
            itr = iter(it)
            while True:
                t = time.perf_counter()
                try:
                    row = next(itr)
                except StopIteration:
                    stats[key][0] += time.perf_counter() - t
                    return
                stats[key][0] += time.perf_counter() - t
                yield row

        return gen()

    return wrapper


def install() -> None:
    for mod_name, attr in TARGETS:
        mod = importlib.import_module(mod_name)
        key = f"{mod_name.replace('.', '/')}.py:{attr}"
        if "." in attr:
            cls_name, name = attr.split(".")
            cls = getattr(mod, cls_name)
            prop = cls.__dict__[name]
            if isinstance(prop, property):
                setattr(cls, name, property(_timed(key, prop.fget)))
            elif isinstance(prop, classmethod):
                setattr(cls, name, classmethod(_timed(key, prop.__func__)))
            else:
                setattr(cls, name, _timed(key, prop))
        else:
            fn = getattr(mod, attr, None)
            if fn is None:
                continue
            wrapped = _timed_iter(key, fn) if attr == "_query" else _timed(key, fn)
            setattr(mod, attr, wrapped)
            # Names imported elsewhere with ``from x import f``.
            for other in list(sys.modules.values()):
                if other is not mod and getattr(other, "__name__", "").startswith("guildlike") and getattr(other, attr, None) is fn:
                    setattr(other, attr, wrapped)


def phases(home: Path, cwd: Path, args: list[str], cprofile: bool, cold: bool = False) -> str:
    os.environ["GUILDLIKE_HOME"] = str(home)
    os.chdir(cwd)
    t0 = time.perf_counter()
    import guildlike.cli.main as climain  # noqa: F401
    import guildlike.cli.runs_cmd  # noqa: F401
    import guildlike.store.index  # noqa: F401
    import guildlike.cli.rows  # noqa: F401
    import guildlike.store.timerange  # noqa: F401

    t_import = time.perf_counter() - t0
    install()
    with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
        climain.main(["runs", *args])  # warm the index and the page cache, untimed
    if cold:
        make_home.drop_index(home)
    stats.clear()
    buf = io.StringIO()
    t0 = time.perf_counter()
    with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
        sys.stderr, old_err = buf, sys.stderr
        try:
            if cprofile:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.runcall(climain.main, ["runs", *args])
            else:
                climain.main(["runs", *args])
        finally:
            sys.stderr = old_err
    total = time.perf_counter() - t0
    rows = sorted(stats.items(), key=lambda kv: -kv[1][0])
    lines = [
        f"guildlike runs {' '.join(args)}  [{home}]{' (cold: index dropped first)' if cold else ''}",
        f"imports (in this process, for reference): {t_import * 1000:.0f} ms; command (warm): {total * 1000:.0f} ms",
        "",
        common.table(
            ["function (inclusive)", "calls", "total", "per call", "share"],
            [[k, int(c), f"{t * 1000:.1f} ms", f"{t / c * 1e6:.1f} us" if c else "-", f"{t / total * 100:.0f}%"] for k, (t, c) in rows if c],
        ),
    ]
    if cprofile:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
        lines += ["", "cProfile (tottime; inflated by the profiler):", s.getvalue()]
    return "\n".join(lines)


_IMPORT_RE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def imports(home: Path, cwd: Path, args: list[str], times: int) -> str:
    env = common.base_env(GUILDLIKE_HOME=str(home))
    py = common.guildlike_python()
    best_self: dict[str, int] = {}
    best_cum: dict[str, int] = {}
    depth: dict[str, int] = {}
    for _ in range(times):
        p = subprocess.run([py, "-X", "importtime", "-m", "guildlike", "runs", *args], env=env, cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in p.stderr.splitlines():
            m = _IMPORT_RE.match(line)
            if not m:
                continue
            self_us, cum_us, indent, name = int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)
            best_self[name] = min(best_self.get(name, self_us), self_us)
            best_cum[name] = min(best_cum.get(name, cum_us), cum_us)
            depth[name] = indent // 2
    by_pkg: dict[str, int] = defaultdict(int)
    for name, us in best_self.items():
        by_pkg[name.split(".")[0]] += us
    top = sorted(best_self.items(), key=lambda kv: -kv[1])[:25]
    pk = sorted(by_pkg.items(), key=lambda kv: -kv[1])[:15]
    roots = sorted(((n, c) for n, c in best_cum.items() if depth.get(n) == 0), key=lambda kv: -kv[1])[:12]
    return "\n".join(
        [
            f"python -X importtime -m guildlike runs {' '.join(args)} (min over {times} runs)",
            "",
            "Top-level imports (cumulative; `site` is interpreter start-up, incl. .pth files):",
            common.table(["module", "cumulative"], [[n, f"{c / 1000:.1f} ms"] for n, c in roots]),
            "",
            "Self time by top-level package:",
            common.table(["package", "self time"], [[n, f"{us / 1000:.1f} ms"] for n, us in pk]),
            "",
            "Slowest modules (self time):",
            common.table(["module", "self time", "cumulative"], [[n, f"{us / 1000:.1f} ms", f"{best_cum[n] / 1000:.1f} ms"] for n, us in top]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10000, help="home size (default 10000)")
    ap.add_argument("--root", default=None, help="where homes are kept")
    ap.add_argument("--imports", type=int, default=7, help="importtime runs (0 to skip; default 7)")
    ap.add_argument("--no-phases", action="store_true")
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--cold", action="store_true", help="time the listing that rebuilds the index (files stay in the page cache)")
    ap.add_argument("--bytecode", choices=("cache", "env"), default="cache")
    ap.add_argument("--rev", metavar="REV", help="profile guildlike as of this git revision instead of the working tree")
    ap.add_argument("args", nargs="*", help="arguments after `guildlike runs` (put them after --)")
    a = ap.parse_args(argv)
    common.configure(a)
    if common.SOURCE is not None:
        sys.path.insert(0, str(common.SOURCE))
    print(f"{common.source_desc()}\n")
    root = Path(a.root) if a.root else make_home.default_root()
    cwd = make_home.ensure_project(root)
    home = make_home.build(a.runs, root)
    if a.imports:
        print(imports(home, cwd, a.args, a.imports))
        print()
    if not a.no_phases:
        print(phases(home, cwd, a.args, a.cprofile, a.cold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
