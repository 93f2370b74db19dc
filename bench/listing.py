#!/usr/bin/env python3
"""Listing speed at 1,000 / 10,000 (/ 100,000 with --big) runs, guildlike vs Guild AI.

For each home size (built by make_home.py, reused when present):

- cold: ``guildlike runs`` with no index (the first listing builds it);
- warm (index built, a listing run once first): ``guildlike runs`` (first
  20), ``guildlike runs -a -s``, ``guildlike runs -Fo train -Sc --started
  'after 2026-11-18 00:00'`` (the first 20 of those), and the same filter
  with ``-a``;
- the same commands with Guild AI (``$GUILD_BIN`` or
  ``guild`` on ``PATH``, when present) at sizes up to --guild-max
  (default 10,000), on the same home.

Prints medians, min/max, peak RSS, ms per 1,000 extra runs, ratios to
Guild and the issue 6 targets. Commands run in the project the runs point
to, with output sent to /dev/null.

    python bench/listing.py              # 1k and 10k, about 3 minutes with Guild
    python bench/listing.py --big        # adds 100k (building that home once takes about 2 min)
    python bench/listing.py --no-guild -r 3
"""

from __future__ import annotations

import argparse
import sys
import time

import common
import make_home

DT = "2026-11-18 00:00"


def commands(exe: str) -> dict[str, list[str]]:
    return {
        "runs": [exe, "runs"],
        "runs -a -s": [exe, "runs", "-a", "-s"],
        "runs -Fo OP -Sc --started": [exe, "runs", "-Fo", "train", "-Sc", "--started", f"after {DT}"],
        "runs -a -Fo OP -Sc --started": [exe, "runs", "-a", "-Fo", "train", "-Sc", "--started", f"after {DT}"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.add_argument("--big", action="store_true", help="add the 100,000-run home")
    ap.add_argument("--sizes", type=int, nargs="+", help="home sizes (default 1000 10000, plus 100000 with --big)")
    ap.add_argument("--guild-max", type=int, default=10000, help="largest home Guild is timed on (default 10000)")
    ap.add_argument("--guild-repeat", type=int, default=3, help="measured Guild runs per command (default 3)")
    ap.add_argument("--cold-repeat", type=int, default=3, help="cold listings per size (default 3; 1 at 100k)")
    ap.add_argument("--root", default=None, help="where homes are kept (default $BENCH_ROOT or /tmp/guildlike-bench)")
    args = ap.parse_args(argv)
    common.configure(args)

    sizes = args.sizes or ([1000, 10000, 100000] if args.big else [1000, 10000])
    gl = common.guildlike_bin()
    guild = None if args.no_guild else common.guild_bin()
    root = make_home.Path(args.root) if args.root else make_home.default_root()
    proj = make_home.ensure_project(root)
    print(f"machine: {common.machine()}", file=sys.stderr)
    print(f"guildlike: {gl}; Guild: {guild or 'not timed'}", file=sys.stderr)

    results: dict[str, dict[int, common.Result]] = {}
    guild_results: dict[str, dict[int, common.Result]] = {}
    for n in sizes:
        t0 = time.perf_counter()
        home = make_home.build(n, root)
        print(f"\n== {n} runs: {home} (ready in {time.perf_counter() - t0:.1f}s)", file=sys.stderr)
        env = common.base_env(GUILDLIKE_HOME=str(home))
        cold_n = 1 if n >= 100000 else args.cold_repeat
        results.setdefault("cold runs (builds index)", {})[n] = common.measure(
            f"guildlike runs, cold index [{n}]",
            [gl, "runs"],
            repeat=cold_n,
            warmup=0,
            env=env,
            cwd=proj,
            setup=lambda: make_home.drop_index(home),
        )
        common.run_once([gl, "runs"], env=env, cwd=proj)  # the index is warm from here on
        for name, cmd in commands(gl).items():
            results.setdefault(name, {})[n] = common.measure(
                f"guildlike {name} [{n}]", cmd, repeat=args.repeat, warmup=args.warmup, env=env, cwd=proj
            )
        if guild and n <= args.guild_max:
            genv = common.base_env(GUILD_HOME=str(home))
            gwarm = 1 if n < 10000 else 0
            for name, cmd in commands(guild).items():
                if name == "runs -a -Fo OP -Sc --started" and n >= 10000:
                    continue  # same work as without -a in Guild; spares a minute
                guild_results.setdefault(name, {})[n] = common.measure(
                    f"Guild {name} [{n}]", cmd, repeat=args.guild_repeat, warmup=gwarm, env=genv, cwd=proj
                )

    report = render(sizes, results, guild_results)
    print(report)
    common.save_json(
        args.json,
        {
            "machine": common.machine(),
            "guildlike": {k: {n: r.summary() for n, r in v.items()} for k, v in results.items()},
            "guild": {k: {n: r.summary() for n, r in v.items()} for k, v in guild_results.items()},
        },
    )
    return 0


def _slope_ms(res: dict[int, common.Result], a: int, b: int) -> float | None:
    if a in res and b in res:
        return (res[b].median - res[a].median) * 1000 / ((b - a) / 1000)
    return None


def render(
    sizes: list[int], results: dict[str, dict[int, common.Result]], guild: dict[str, dict[int, common.Result]]
) -> str:
    rows = []
    for name, by_n in results.items():
        for n in sizes:
            r = by_n.get(n)
            if r is None:
                continue
            g = guild.get(name, {}).get(n) if name != "cold runs (builds index)" else guild.get("runs", {}).get(n)
            rows.append(
                [
                    f"`{name}`",
                    f"{n:,}",
                    common.fmt_s(r.median),
                    f"{common.fmt_s(r.min)} / {common.fmt_s(r.max)}",
                    f"{r.peak_rss_mb:.0f} MB",
                    common.fmt_s(g.median) if g else "-",
                    f"{g.median / r.median:.1f}x" if g else "-",
                ]
            )
    out = [
        "Listing (medians; output to /dev/null; Guild ratio = Guild time / guildlike time)",
        "",
        common.table(["command", "runs", "guildlike", "min / max", "peak RSS", "Guild", "Guild/guildlike"], rows),
        "",
    ]
    # Growth per 1,000 extra runs.
    srows = []
    pairs = [(a, b) for a, b in zip(sizes, sizes[1:])]
    for name, by_n in results.items():
        for a, b in pairs:
            s = _slope_ms(by_n, a, b)
            gs = _slope_ms(guild.get(name, {}), a, b) if name in guild else None
            if s is not None:
                srows.append([f"`{name}`", f"{a:,} -> {b:,}", f"{s:.1f} ms", f"{gs:.1f} ms" if gs is not None else "-"])
    out += ["Growth: ms per 1,000 extra runs (difference of medians)", "", common.table(["command", "from -> to", "guildlike", "Guild"], srows), ""]

    # Targets from issue 6.
    def med(name: str, n: int) -> float | None:
        r = results.get(name, {}).get(n)
        return r.median if r else None

    def rss(name: str, n: int) -> float | None:
        r = results.get(name, {}).get(n)
        return r.peak_rss_mb if r else None

    trows = []
    m = med("runs", 10000)
    trows.append(["`runs` (first 20) at 10,000 runs", "< 0.2 s", common.fmt_s(m), f"{m / 0.2:.2f}x of target" if m else "-", common.verdict(m < 0.2 if m else None)])
    m = med("runs -a -s", 10000)
    trows.append(["`runs -a -s` at 10,000 runs", "< 1 s", common.fmt_s(m), f"{m / 1.0:.2f}x of target" if m else "-", common.verdict(m < 1.0 if m else None)])
    for a, b in pairs:
        s = _slope_ms(results.get("runs -a -s", {}), a, b)
        if s is not None:
            trows.append([f"`runs -a -s` growth {a:,} -> {b:,}", "< 100 ms / 1,000 runs", f"{s:.1f} ms", f"{s / 100:.2f}x of target", common.verdict(s < 100)])
    m = med("runs -Fo OP -Sc --started", 100000)
    mem = rss("runs -Fo OP -Sc --started", 100000)
    trows.append(["`runs -Fo OP -Sc --started 'after DT'` at 100,000", "< 1 s", common.fmt_s(m), f"{m / 1.0:.2f}x of target" if m else "(run with --big)", common.verdict(m < 1.0 if m else None)])
    trows.append(["  same, peak memory", "< 300 MB", f"{mem:.0f} MB" if mem else "-", f"{mem / 300:.2f}x of target" if mem else "-", common.verdict(mem < 300 if mem else None)])
    out += ["Issue 6 targets", "", common.table(["target", "goal", "measured", "ratio", "verdict"], trows)]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
