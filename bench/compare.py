#!/usr/bin/env python3
"""``compare -a --csv`` speed at 1,000 / 3,000 / 10,000 runs of 5 scalars each.

Homes come from make_home.py (completed runs carry ``.guild/scalars.json``
with five scalars). Each command runs once to warm the run index and the
page cache, then is timed (median of -r runs). Prints the medians, the ms
per 1,000 extra runs and the target (under 0.5 s at 10,000 runs, warm).
Today every run's scalars.json is read on each compare; an index of scalar
summaries is expected to replace those reads (``ops/compare.run_scalars``).

    python bench/compare.py                 # 1k, 3k and 10k
    python bench/compare.py --sizes 1000 -r 3
"""

from __future__ import annotations

import argparse
import sys

import common
import make_home

TARGET_S = 0.5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000], help="home sizes")
    ap.add_argument("--root", default=None, help="where homes are kept (default $BENCH_ROOT or /tmp/guildlike-bench)")
    args = ap.parse_args(argv)
    common.configure(args)
    gl = common.guildlike_bin()
    root = make_home.Path(args.root) if args.root else make_home.default_root()
    proj = make_home.ensure_project(root)
    print(f"machine: {common.machine()}", file=sys.stderr)
    cmds = {"compare -a --csv": ["compare", "-a", "--csv"], "compare -a --csv -cc loss --min loss": [
        "compare", "-a", "--csv", "-cc", "loss", "--min", "loss"]}
    rows = []
    medians: dict[str, dict[int, float]] = {}
    for n in args.sizes:
        home = make_home.build(n, root)
        env = common.base_env(GUILDLIKE_HOME=str(home))
        common.run_once([gl, "runs"], env=env, cwd=proj)  # builds the index
        for name, words in cmds.items():
            res = common.measure(f"guildlike {name} [{n}]", [gl, *words], repeat=args.repeat,
                                 warmup=max(1, args.warmup), env=env, cwd=proj)
            medians.setdefault(name, {})[n] = res.median
            ok = res.median < TARGET_S if n == 10000 and name == "compare -a --csv" else None
            rows.append([f"`{name}`", f"{n:,}", common.fmt_s(res.median), common.fmt_s(res.min),
                         common.fmt_s(res.max), "" if ok is None else common.verdict(ok)])
    print(common.table(["command", "runs", "median", "min", "max", "under 0.5 s"], rows))
    for name, by_n in medians.items():
        ns = sorted(by_n)
        if len(ns) > 1:
            slope = (by_n[ns[-1]] - by_n[ns[0]]) * 1000 / ((ns[-1] - ns[0]) / 1000)
            print(f"{name}: {slope:.0f} ms per 1,000 extra runs ({ns[0]:,} to {ns[-1]:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
