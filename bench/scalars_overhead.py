#!/usr/bin/env python3
"""What keeping scalars as a series costs a run that prints N scalar lines.

A script prints N lines ``loss: VALUE`` (with a ``step: I`` line every 10),
each flushed, as a training loop does; ``--work-us`` adds that much busy
work per line (0: the script does nothing but print).

Whole runs (the default): ``guildlike run train`` against the same operation
with ``output-scalars: no``, round-robin, medians of ``--repeat`` after a
warm-up. Everything the user waits for is in it: the series while the run
runs, the summary and the event file at its end, and the index. Printed: both
medians, the overhead in ms and percent, and the CPU time of the command's
process tree (steadier than wall time on a loaded machine).

``--in-process`` times the parts instead, with guildlike's own tee
(``ops/process.run_process``, the output written to ``.guild/output``):

- ``plain``: the tee alone (no scalar capture);
- ``series``: the tee feeding ``SeriesTee``, which parses each line and
  appends the scalars to ``.guild/series.tsv``, flushed per chunk read;
- ``end``: what the run's end adds: the summary (``scalars.json``) and,
  with the ``tensorboard`` extra, the event file in ``.guild/``.

Printed: the median of each, the wall-time overhead of ``series`` over
``plain`` in percent (the target is under 2% at N=10,000), and guildlike's
own CPU time in both (``time.process_time``: the work the series adds, in
ms and as a share of the run; steadier than wall time on a loaded machine).

    python bench/scalars_overhead.py                 # whole runs, N=10000, 11 repetitions
    python bench/scalars_overhead.py --work-us 100    # a run of about a second
    python bench/scalars_overhead.py --in-process -n 100000 -r 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402

from guildlike.context import Context  # noqa: E402
from guildlike.ops import process, scalars  # noqa: E402
from guildlike.store import events  # noqa: E402

# The training script: n lines (flags of the operation, or arguments when run
# directly by --in-process), with work_us of busy work before each.
TRAIN = """
import sys, time
n = 10000
work_us = 0
if len(sys.argv) > 2:
    n, work_us = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    if work_us:
        end = time.perf_counter() + work_us / 1e6
        while time.perf_counter() < end:
            pass
    if i % 10 == 0:
        print(f"step: {i // 10}", flush=True)
    print(f"loss: {1.0 / (i + 1)}", flush=True)
"""

GUILD_YML = """
train:
  main: train
  flags: {n: 10000, work_us: 0}
train-plain:
  main: train
  flags: {n: 10000, work_us: 0}
  output-scalars: no
"""


def whole_runs(n: int, work_us: int, repeat: int) -> None:
    """``guildlike run`` with and without scalars, round-robin (see the module doc)."""
    base = Path(tempfile.mkdtemp(prefix="scalars-bench-"))
    try:
        project = base / "project"
        project.mkdir()
        (project / "train.py").write_text(TRAIN)
        (project / "guild.yml").write_text(GUILD_YML)
        env = common.base_env(GUILDLIKE_HOME=str(base / "home"))
        cmd = [common.guildlike_python(), "-m", "guildlike", "run", "-y", "-q"]
        flags = [f"n={n}", f"work_us={work_us}"]
        times: dict[str, list[float]] = {"train-plain": [], "train": []}
        cpu: dict[str, list[float]] = {"train-plain": [], "train": []}
        for i in range(repeat + 1):
            for op in times:
                wall, cpu_s, _rss, _rc = common.run_timed([*cmd, op, *flags], env=env, cwd=project)
                if i:  # the first round warms up
                    times[op].append(wall)
                    cpu[op].append(cpu_s)
        p, s = (statistics.median(times[op]) for op in ("train-plain", "train"))
        cp, cs = (statistics.median(cpu[op]) for op in ("train-plain", "train"))
        extra = "with" if events.available() else "without"
        print(f"N={n} scalar lines, {work_us} us of work per line, {repeat} runs each, medians "
              f"({extra} the tensorboard extra; {common.machine()}):")
        print(f"  run, output-scalars: no:  {p * 1000:8.1f} ms wall {cp * 1000:8.1f} ms CPU")
        print(f"  run, scalars recorded:    {s * 1000:8.1f} ms wall {cs * 1000:8.1f} ms CPU")
        print(f"  overhead:                 {(s - p) * 1000:+8.1f} ms ({100 * (s - p) / p:+.1f}%) wall, "
              f"{(cs - cp) * 1000:+.1f} ms CPU")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_dir(base: Path, name: str) -> Path:
    d = base / name
    shutil.rmtree(d, ignore_errors=True)
    (d / ".guild").mkdir(parents=True)
    return d


def _time(ctx: Context, base: Path, script: Path, n: int, capture: bool, work_us: int = 0) -> tuple[float, float, float]:
    """Wall time of the run, guildlike's own CPU time in it, wall time of the run's end."""
    d = _run_dir(base, "series" if capture else "plain")
    tee = scalars.SeriesTee(d, None) if capture else None
    c0 = time.process_time()
    t0 = time.perf_counter()
    process.run_process(
        ctx, [sys.executable, str(script), str(n), str(work_us)], {}, d, d / ".guild" / "output",
        on_start=lambda pid: None, on_output=tee.feed if tee else None,
    )
    if tee:
        tee.close()
    t1 = time.perf_counter()
    cpu = time.process_time() - c0
    if capture:
        scalars.capture(ctx, d, None, tee)
    return t1 - t0, cpu, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000, help="scalar lines printed (default 10000)")
    ap.add_argument("-r", "--repeat", type=int, default=11, help="repetitions (default 11)")
    ap.add_argument("--work-us", type=int, default=0, help="busy work per line (default 0)")
    ap.add_argument("--in-process", action="store_true", help="time the tee and the run's end in-process")
    ap.add_argument("--rev", metavar="REV", help="whole runs of guildlike as of this git revision")
    args = ap.parse_args()
    if args.rev:
        common.use_rev(args.rev)
    if not args.in_process:
        whole_runs(args.n, args.work_us, args.repeat)
        return
    base = Path(tempfile.mkdtemp(prefix="scalars-bench-"))
    try:
        script = base / "train.py"
        script.write_text(TRAIN)
        ctx = Context(home=base, cwd=base)
        _time(ctx, base, script, args.n, True, args.work_us)  # warm-up (imports, page cache)
        plain, series, end, cpu_plain, cpu_series = [], [], [], [], []
        for _ in range(args.repeat):
            w, c, _e = _time(ctx, base, script, args.n, False, args.work_us)
            plain.append(w)
            cpu_plain.append(c)
            w, c, e = _time(ctx, base, script, args.n, True, args.work_us)
            series.append(w)
            cpu_series.append(c)
            end.append(e)
        p, s, e, cp, cs = (statistics.median(x) for x in (plain, series, end, cpu_plain, cpu_series))
        lines = (base / "series" / ".guild" / "series.tsv").read_text().count("\n")
        print(f"N={args.n} scalar lines ({lines} values kept), {args.repeat} repetitions, medians:")
        print(f"  plain tee:          {p * 1000:8.1f} ms")
        print(f"  tee + series:       {s * 1000:8.1f} ms   wall overhead {100 * (s - p) / p:+.2f}%")
        print(
            f"  guildlike CPU:      {cp * 1000:8.1f} ms plain, {cs * 1000:.1f} ms with series: "
            f"{(cs - cp) * 1000:+.1f} ms, {100 * (cs - cp) / p:+.2f}% of the run"
        )
        extra = "summary + event file" if events.available() else "summary only (no tensorboard extra)"
        print(f"  run end ({extra}): {e * 1000:8.1f} ms")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
