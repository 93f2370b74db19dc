#!/usr/bin/env python3
"""The steps-restart spec end to end: guildlike vs Guild AI running the same scenarios.

Three timings:

1. ``python -m pytest doctests/steps-restart.md -q``: the spec as the test
   suite runs it (guildlike);
2. the same spec replayed by this script's harness with guildlike: every
   example of the Markdown file runs in order, with the spec's own helpers
   (doctests/support.py), output compared as in the spec;
3. the same replay with Guild AI: each command line's ``guildlike`` becomes
   Guild's command and ``GUILD_HOME`` points to the scenario's home. The
   sample project (samples/projects/steps-restart, copied afresh for each
   scenario as the spec does) has the same op names under Guild. Guild's
   output differs from guildlike's, so mismatches are counted, not failed;
   what matters is that every command ran (the counts are printed).

The spec sleeps 4.4 s on purpose (two ``note_time()`` calls); that time is
shown and also taken out in a second ratio.

    python bench/steps_restart.py            # about 3 minutes with Guild
    python bench/steps_restart.py --no-guild -r 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import common

def spec_path() -> Path:
    return common.src_root() / "doctests" / "steps-restart.md"


def harness(kind: str, tool: str, spec: Path) -> dict[str, object]:
    """Replay ``spec`` with ``tool`` (guildlike or Guild); returns counts and times."""
    sys.path.insert(0, str(spec.parent))
    import doctest

    import support  # doctests/support.py

    from conftest import FLAGS  # doctests/conftest.py

    stats: dict[str, object] = {"commands": 0, "nonzero_exits": 0, "run_commands": 0, "tool_seconds": 0.0}
    slept = [0.0]
    per_cmd: list[tuple[str, float, int]] = []
    pattern = re.compile(r"(^|[;&|]\s*)guildlike\b")

    class ToolEnv(support.SpecEnv):
        def env(self) -> dict[str, str]:
            e = super().env()
            if kind == "guild":
                e["GUILD_HOME"] = e["GUILDLIKE_HOME"]
            return e

        def _exec(self, cmd: str, timeout: float = 600) -> tuple[str, int]:
            if re.match(r"guildlike run\b", cmd):
                stats["run_commands"] = int(stats["run_commands"]) + 1  # type: ignore[call-overload]
            if kind == "guild":
                cmd = pattern.sub(lambda m: m.group(1) + tool, cmd)
            t0 = time.perf_counter()
            out, code = super()._exec(cmd, timeout)
            stats["commands"] = int(stats["commands"]) + 1  # type: ignore[call-overload]
            took = time.perf_counter() - t0
            stats["tool_seconds"] = float(stats["tool_seconds"]) + took  # type: ignore[arg-type]
            per_cmd.append((cmd, took, code))
            if code != 0:
                stats["nonzero_exits"] = int(stats["nonzero_exits"]) + 1  # type: ignore[call-overload]
            return out, code

    env = ToolEnv(spec)
    mismatches: list[int] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    try:
        globs = env.globals()
        real_sleep = globs["sleep"]

        def sleep(s: float) -> None:
            slept[0] += s
            real_sleep(s)

        globs["sleep"] = sleep
        test = doctest.DocTestParser().get_doctest(spec.read_text(encoding="utf-8"), globs, spec.stem, str(spec), 0)
        runner = doctest.DocTestRunner(checker=support.SpecOutputChecker(), optionflags=FLAGS)

        def report_failure(out, test, example, got):  # type: ignore[no-untyped-def]
            mismatches.append(example.lineno + 1)

        def report_unexpected_exception(out, test, example, exc_info):  # type: ignore[no-untyped-def]
            errors.append(f"line {example.lineno + 1}: {exc_info[0].__name__}: {str(exc_info[1]).splitlines()[0] if str(exc_info[1]) else ''}")

        runner.report_failure = report_failure  # type: ignore[method-assign]
        runner.report_unexpected_exception = report_unexpected_exception  # type: ignore[method-assign]
        runner.run(test, out=lambda s: None, clear_globs=False)
        stats["examples"] = len(test.examples)
    finally:
        env.close()
    stats["seconds"] = time.perf_counter() - t0
    stats["slept"] = slept[0]
    stats["mismatched_examples"] = mismatches
    stats["errors"] = errors
    stats["per_command"] = per_cmd
    return stats


def run_harness(kind: str, tool: str, env: dict[str, str]) -> tuple[float, int, dict[str, object]]:
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"guildlike-bench-steps-{kind}-{os.getpid()}.json"
    cmd = [sys.executable, __file__, "--harness", kind, "--tool", tool, "--out", str(out), "--spec", str(spec_path())]
    wall, rss, _ = common.run_once(cmd, env=env, cwd=common.src_root())
    data = json.loads(out.read_text())
    out.unlink()
    return wall, rss, data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.set_defaults(repeat=2, warmup=0)
    ap.add_argument("--guild-repeat", type=int, default=1, help="Guild replays (default 1; one takes ~2 minutes)")
    ap.add_argument("--harness", choices=("guildlike", "guild"), help=argparse.SUPPRESS)
    ap.add_argument("--tool", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.harness:
        stats = harness(args.harness, args.tool, Path(args.spec))
        Path(args.out).write_text(json.dumps(stats))
        return 0
    common.configure(args)
    gl = common.guildlike_bin()
    guild = None if args.no_guild else common.guild_bin()
    print(f"machine: {common.machine()}", file=sys.stderr)
    env = common.base_env()
    # The spec puts the interpreter's folder first on PATH; make it guildlike's.
    env["PATH"] = str(Path(common.guildlike_python()).parent) + os.pathsep + env.get("PATH", "")
    py = common.guildlike_python()

    pytest_res = common.measure(
        "pytest doctests/steps-restart.md", [py, "-m", "pytest", str(spec_path()), "-q", "-p", "no:cacheprovider"],
        repeat=args.repeat, warmup=args.warmup, env=env, cwd=common.src_root(),
    )
    replays: dict[str, list[tuple[float, int, dict[str, object]]]] = {"guildlike": [], "guild": []}
    for _ in range(args.repeat):
        replays["guildlike"].append(run_harness("guildlike", gl, env))
        _print_replay("guildlike", replays["guildlike"][-1])
    if guild:
        for _ in range(args.guild_repeat):
            replays["guild"].append(run_harness("guild", guild, env))
            _print_replay("Guild", replays["guild"][-1])

    print(render(pytest_res, replays))
    common.save_json(
        args.json,
        {"machine": common.machine(), "pytest": pytest_res.summary(), "replays": replays},
    )
    return 0


def _print_replay(name: str, rep: tuple[float, int, dict[str, object]]) -> None:
    wall, rss, d = rep
    print(
        f"  replay with {name:<10} {common.fmt_s(wall):>8}  slept {d['slept']:.1f} s  "
        f"commands {d['commands']} ({d['run_commands']} runs, non-zero exits {d['nonzero_exits']})  examples {d.get('examples')}  "
        f"mismatched {len(d['mismatched_examples'])}  errors {len(d['errors'])}",  # type: ignore[arg-type]
        file=sys.stderr,
        flush=True,
    )
    for e in d["errors"][:10]:  # type: ignore[index]
        print(f"    {e}", file=sys.stderr)
    by_kind: dict[str, list[float]] = {}
    for cmd, took, _code in d.get("per_command", []):  # type: ignore[union-attr]
        words = cmd.split()
        kind = " ".join(words[1:3]) if len(words) > 2 and words[1] in ("run", "runs") else " ".join(words[1:2])
        if kind.startswith("run --restart") or (kind.startswith("run ") and "--restart" in cmd):
            kind = "run --restart"
        by_kind.setdefault(kind, []).append(took)
    parts = sorted(by_kind.items(), key=lambda kv: -sum(kv[1]))
    print("    time by command: " + "; ".join(f"{k} {sum(v):.1f} s/{len(v)}" for k, v in parts), file=sys.stderr)
    failed = [c for c, _t, code in d.get("per_command", []) if code]  # type: ignore[union-attr]
    if failed:
        print("    non-zero exits: " + " | ".join(c[:90] for c in failed), file=sys.stderr)


def _median(xs: list[float]) -> float:
    import statistics

    return statistics.median(xs)


def render(pytest_res: common.Result, replays: dict[str, list[tuple[float, int, dict[str, object]]]]) -> str:
    rows = [["`pytest doctests/steps-restart.md -q` (guildlike)", common.fmt_s(pytest_res.median), f"{common.fmt_s(pytest_res.min)} / {common.fmt_s(pytest_res.max)}", "-", "-", "-"]]
    med: dict[str, tuple[float, float]] = {}
    for kind, reps in replays.items():
        if not reps:
            continue
        walls = [w for w, _, _ in reps]
        slept = _median([float(d["slept"]) for _, _, d in reps])  # type: ignore[arg-type]
        m = _median(walls)
        med[kind] = (m, slept)
        d = reps[-1][2]
        rows.append(
            [
                f"replay of the spec with {'guildlike' if kind == 'guildlike' else 'Guild'}",
                common.fmt_s(m),
                f"{common.fmt_s(min(walls))} / {common.fmt_s(max(walls))}",
                f"{slept:.1f} s",
                f"{d['commands']}, of which `run` {d['run_commands']} ({d['nonzero_exits']} non-zero exits)",
                f"{len(d['mismatched_examples'])} mismatched, {len(d['errors'])} errors",  # type: ignore[arg-type]
            ]
        )
    out = ["steps-restart spec end to end (medians)", "", common.table(["what", "median", "min / max", "of it sleeping", "commands run", "examples"], rows), ""]
    if "guild" in med and "guildlike" in med:
        (gl, gls), (g, gs) = med["guildlike"], med["guild"]
        t = [
            ["guildlike / Guild, whole replay", "< 10%", f"{gl / g * 100:.1f}%", common.verdict(gl / g < 0.10)],
            ["guildlike / Guild, sleeps taken out", "< 10%", f"{(gl - gls) / (g - gs) * 100:.1f}%", common.verdict((gl - gls) / (g - gs) < 0.10)],
            ["pytest run / Guild replay", "< 10%", f"{pytest_res.median / g * 100:.1f}%", common.verdict(pytest_res.median / g < 0.10)],
        ]
        out += ["Issue 6 target", "", common.table(["ratio", "goal", "measured", "verdict"], t)]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
