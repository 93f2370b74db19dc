#!/usr/bin/env python3
"""Per-trial overhead of a batch: a grid of N trivial trials vs the script run N times.

The trivial script prints its flag ``x``. Timed, round-robin so that drifts
in machine load hit every command alike (medians of ``--repeat`` runs after
a warm-up):

- ``python tiny.py`` N times in one shell (the work itself);
- ``guildlike run tiny x=[1,...,N] -y``: a grid batch of N trials;
- the same two at N/2, to separate guildlike's one-off start-up from the
  cost of each trial;
- with Guild AI installed (``$GUILD_BIN`` or ``guild`` on ``PATH``), and
  unless ``--no-guild``, ``guild run tiny x=[...] -y`` at N for reference.

Printed: per-trial overhead = (batch - direct) / N, and the marginal cost of
one more trial = slope between N/2 and N of (batch - direct). No figure is
asserted anywhere; this only reports.

    python bench/batch_overhead.py              # N=20, 5 repetitions
    python bench/batch_overhead.py -n 40 -r 7 --no-guild
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import common

GUILD_YML = """\
tiny:
  description: A trivial operation for timing batches
  main: tiny
  flags-import: all
"""


def make_project(base: Path) -> Path:
    proj = base / "project"
    proj.mkdir()
    (proj / "tiny.py").write_text("x = 0\nprint(x)\n")
    (proj / "guild.yml").write_text(GUILD_YML)
    return proj


def grid_arg(n: int) -> str:
    return "x=[" + ",".join(str(i) for i in range(1, n + 1)) + "]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.add_argument("-n", "--trials", type=int, default=20, help="trials in the batch (default 20)")
    ap.add_argument("--guild-repeat", type=int, default=2, help="measured Guild runs (default 2)")
    args = ap.parse_args(argv)
    common.configure(args)
    n = max(2, args.trials)
    half = n // 2
    gl = common.guildlike_bin()
    py = common.guildlike_python()
    guild = None if args.no_guild else common.guild_bin()
    print(f"machine: {common.machine()}", file=sys.stderr)
    print(f"guildlike: {gl}; python: {py}; Guild: {guild or 'not timed'}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="guildlike-bench-batch-") as tmp:
        base = Path(tmp)
        proj = make_project(base)
        (base / "gl-home").mkdir()
        (base / "guild-home").mkdir()
        env_gl = common.base_env(GUILDLIKE_HOME=str(base / "gl-home"))
        env_py = common.base_env()

        def direct(k: int) -> list[str]:
            return ["sh", "-c", "; ".join(f"{py} tiny.py x={i}" for i in range(1, k + 1))]

        specs = [
            (f"python tiny.py x {n}", direct(n), env_py),
            (f"guildlike grid of {n}", [gl, "run", "tiny", grid_arg(n), "-y"], env_gl),
            (f"python tiny.py x {half}", direct(half), env_py),
            (f"guildlike grid of {half}", [gl, "run", "tiny", grid_arg(half), "-y"], env_gl),
        ]
        print("batches (round-robin):", file=sys.stderr)
        r = common.measure_group(specs, repeat=args.repeat, warmup=args.warmup, cwd=proj)
        if guild:
            env_g = common.base_env(GUILD_HOME=str(base / "guild-home"))
            name = f"guild grid of {n}"
            r[name] = common.measure(
                name, [guild, "run", "tiny", grid_arg(n), "-y"], env=env_g, cwd=proj, repeat=args.guild_repeat, warmup=0
            )

    print(render(r, n, half))
    summary = per_trial(r, n, half)
    common.save_json(
        args.json,
        {"machine": common.machine(), "trials": n, **summary, "results": {k: v.summary() for k, v in r.items()}},
    )
    return 0


def per_trial(r: dict[str, common.Result], n: int, half: int) -> dict[str, float]:
    med = {k: v.median for k, v in r.items()}
    over_n = med[f"guildlike grid of {n}"] - med[f"python tiny.py x {n}"]
    over_half = med[f"guildlike grid of {half}"] - med[f"python tiny.py x {half}"]
    out = {
        "per_trial_overhead_ms": over_n / n * 1000,
        "marginal_trial_overhead_ms": (over_n - over_half) / (n - half) * 1000,
        "direct_per_run_ms": med[f"python tiny.py x {n}"] / n * 1000,
    }
    if f"guild grid of {n}" in med:
        out["guild_per_trial_overhead_ms"] = (med[f"guild grid of {n}"] - med[f"python tiny.py x {n}"]) / n * 1000
    return out


def render(r: dict[str, common.Result], n: int, half: int) -> str:
    rows = [
        [f"`{k}`", common.fmt_s(v.median), f"{common.fmt_s(v.min)} / {common.fmt_s(v.max)}", f"{v.peak_rss_mb:.0f} MB"]
        for k, v in r.items()
    ]
    s = per_trial(r, n, half)
    lines = [
        "Batch overhead (medians)",
        "",
        common.table(["command", "median", "min / max", "peak RSS"], rows),
        "",
        common.table(
            ["figure", "ms"],
            [
                ["the script alone, per run", f"{s['direct_per_run_ms']:.1f}"],
                [f"guildlike per-trial overhead, (grid - direct) / {n}", f"{s['per_trial_overhead_ms']:.1f}"],
                [f"guildlike marginal overhead of one more trial ({half} -> {n})", f"{s['marginal_trial_overhead_ms']:.1f}"],
            ]
            + (
                [[f"Guild per-trial overhead, (grid - direct) / {n}", f"{s['guild_per_trial_overhead_ms']:.1f}"]]
                if "guild_per_trial_overhead_ms" in s
                else []
            ),
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
