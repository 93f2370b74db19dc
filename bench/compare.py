#!/usr/bin/env python3
"""``compare`` speed at 1,000 / 10,000 / 100,000 runs of 5 scalars each.

Homes come from make_home.py (completed runs carry ``.guild/scalars.json``
with five scalars). Each command runs once to warm the run index and the
page cache, then is timed (median of -r runs). Prints the medians, the ms
per 1,000 extra runs and the targets, warm: ``compare -a --csv`` under
0.5 s at 10,000 runs; a filtered compare (``-Fo train --started 'after
2026-11-20'``: train runs of the last of the seven days, about 8.5% of the runs) under
1 s at 100,000 runs. The whole table of 100,000 runs is left out unless
``--all-at-100k``: it is a 100,000-row table, not a target.

    python bench/compare.py                 # 1k, 10k and 100k
    python bench/compare.py --sizes 1000 -r 3
"""

from __future__ import annotations

import argparse
import statistics
import sys

import common
import make_home

TARGETS = {("compare -a --csv", 10000): 0.5, ("compare -Fo train --started 'after 2026-11-20' --csv", 100000): 1.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="home sizes")
    ap.add_argument("--all-at-100k", action="store_true", help="also time the whole table at 100,000 runs")
    ap.add_argument("--root", default=None, help="where homes are kept (default $BENCH_ROOT or /tmp/guildlike-bench)")
    args = ap.parse_args(argv)
    common.configure(args)
    gl = common.guildlike_bin()
    root = make_home.Path(args.root) if args.root else make_home.default_root()
    proj = make_home.ensure_project(root)
    print(f"machine: {common.machine()}", file=sys.stderr)
    cmds = {
        "compare -a --csv": ["compare", "-a", "--csv"],
        "compare -a --csv -cc loss --min loss": ["compare", "-a", "--csv", "-cc", "loss", "--min", "loss"],
        "compare -Fo train --started 'after 2026-11-20' --csv": [
            "compare", "-Fo", "train", "--started", "after 2026-11-20", "--csv"],
    }
    rows = []
    medians: dict[str, dict[int, float]] = {}
    for n in args.sizes:
        home = make_home.build(n, root)
        env = common.base_env(GUILDLIKE_HOME=str(home))
        common.run_once([gl, "runs"], env=env, cwd=proj)  # builds the index
        for name, words in cmds.items():
            if n >= 100000 and "-a" in words and not args.all_at_100k:
                continue
            res = common.measure(f"guildlike {name} [{n}]", [gl, *words], repeat=args.repeat,
                                 warmup=max(1, args.warmup), env=env, cwd=proj)
            medians.setdefault(name, {})[n] = res.median
            target = TARGETS.get((name, n))
            ok = res.median < target if target is not None else None
            rows.append([f"`{name}`", f"{n:,}", common.fmt_s(res.median), common.fmt_s(res.min),
                         common.fmt_s(res.max), common.fmt_s(statistics.median(res.cpu)),
                         "" if ok is None else common.verdict(ok)])
    print(common.table(["command", "runs", "median", "min", "max", "CPU median", "target met"], rows))
    for name, by_n in medians.items():
        ns = sorted(by_n)
        if len(ns) > 1:
            slope = (by_n[ns[-1]] - by_n[ns[0]]) * 1000 / ((ns[-1] - ns[0]) / 1000)
            print(f"{name}: {slope:.0f} ms per 1,000 extra runs ({ns[0]:,} to {ns[-1]:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
