#!/usr/bin/env python3
"""Start-up and per-run overhead: guildlike vs bare Python vs Guild AI.

Measures (medians after a warm-up):

- ``guildlike --help`` and ``guildlike runs`` on an empty home, against
  ``python -c "import click"`` (target: within 1.5x);
- a trivial ``guildlike run hello.py -y`` (the script prints one line)
  against ``python hello.py`` (target: at most 7x) and against Guild's
  ``guild run hello.py -y`` (target: at least 8x faster);
- a pipeline of 5 trivial steps (``guildlike run pipe -y``) against running
  the 5 scripts one after another plus one CLI start (``guildlike --help``)
  (target: at most 1.5x); Guild's ``guild run pipe -y`` for reference.

``python`` is the interpreter guildlike runs on. Guild is ``$GUILD_BIN`` or
``guild`` on ``PATH`` when present. Each tool gets its own fresh home.

    python bench/startup.py             # about 2 minutes with Guild
    python bench/startup.py --no-guild
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import common

GUILD_YML = """\
s1:
  main: s1
s2:
  main: s2
s3:
  main: s3
s4:
  main: s4
s5:
  main: s5
pipe:
  steps:
    - s1
    - s2
    - s3
    - s4
    - s5
"""


def make_project(base: Path) -> Path:
    proj = base / "project"
    proj.mkdir()
    (proj / "hello.py").write_text("print('hello')\n")
    for i in range(1, 6):
        (proj / f"s{i}.py").write_text(f"print('step {i}')\n")
    (proj / "guild.yml").write_text(GUILD_YML)
    return proj


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.set_defaults(repeat=10)
    ap.add_argument("--guild-repeat", type=int, default=3, help="measured Guild runs per command (default 3)")
    args = ap.parse_args(argv)
    common.configure(args)
    gl = common.guildlike_bin()
    py = common.guildlike_python()
    guild = None if args.no_guild else common.guild_bin()
    print(f"machine: {common.machine()}", file=sys.stderr)
    print(f"guildlike: {gl}; python: {py}; Guild: {guild or 'not timed'}", file=sys.stderr)

    R, W = args.repeat, args.warmup
    with tempfile.TemporaryDirectory(prefix="guildlike-bench-startup-") as tmp:
        base = Path(tmp)
        proj = make_project(base)
        empty = base / "empty-home"
        empty.mkdir()
        gl_home = base / "gl-home"
        gl_home.mkdir()
        g_home = base / "guild-home"
        g_home.mkdir()
        env_empty = common.base_env(GUILDLIKE_HOME=str(empty))
        env_gl = common.base_env(GUILDLIKE_HOME=str(gl_home))
        env_g = common.base_env(GUILD_HOME=str(g_home))
        env_py = common.base_env()
        m = lambda name, cmd, env, **kw: common.measure(name, cmd, env=env, cwd=proj, **{"repeat": R, "warmup": W, **kw})  # noqa: E731

        five = "; ".join(f"{py} s{i}.py" for i in range(1, 6))
        r: dict[str, common.Result] = {}
        print("start-up (round-robin):", file=sys.stderr)
        r.update(
            common.measure_group(
                [
                    ("python -c pass", [py, "-c", "pass"], env_py),
                    ("python -c 'import click'", [py, "-c", "import click"], env_py),
                    ("python -c 'import click, yaml'", [py, "-c", "import click, yaml"], env_py),
                    ("guildlike --help", [gl, "--help"], env_empty),
                    ("guildlike runs (empty home)", [gl, "runs"], env_empty),
                    ("python hello.py", [py, "hello.py"], env_py),
                    ("guildlike run hello.py -y", [gl, "run", "hello.py", "-y"], env_gl),
                ],
                repeat=R,
                warmup=W,
                cwd=proj,
            )
        )
        print("pipeline (round-robin):", file=sys.stderr)
        r.update(
            common.measure_group(
                [
                    ("5 scripts one after another", ["sh", "-c", five], env_py),
                    ("guildlike run pipe -y (5 steps)", [gl, "run", "pipe", "-y"], env_gl),
                ],
                repeat=max(3, R // 2),
                warmup=W,
                cwd=proj,
            )
        )
        if guild:
            GR = args.guild_repeat
            r["guild --help"] = m("guild --help", [guild, "--help"], env_g, repeat=GR)
            r["guild run hello.py -y"] = m("guild run hello.py -y", [guild, "run", "hello.py", "-y"], env_g, repeat=GR)
            r["guild run pipe -y (5 steps)"] = m("guild run pipe -y (5 steps)", [guild, "run", "pipe", "-y"], env_g, repeat=GR)

    print(render(r))
    common.save_json(args.json, {"machine": common.machine(), "results": {k: v.summary() for k, v in r.items()}})
    return 0


def render(r: dict[str, common.Result]) -> str:
    med = {k: v.median for k, v in r.items()}
    rows = [
        [f"`{k}`", common.fmt_s(v.median), f"{common.fmt_s(v.min)} / {common.fmt_s(v.max)}", f"{v.peak_rss_mb:.0f} MB"]
        for k, v in r.items()
    ]
    out = ["Start-up and per-run overhead (medians)", "", common.table(["command", "median", "min / max", "peak RSS"], rows), ""]
    click = med["python -c 'import click'"]
    hello = med["python hello.py"]
    baseline_pipe = med["5 scripts one after another"] + med["guildlike --help"]
    t = []
    for k in ("guildlike --help", "guildlike runs (empty home)"):
        x = med[k] / click
        t.append([f"`{k}` vs `python -c 'import click'`", "<= 1.5x", f"{x:.2f}x", common.verdict(x <= 1.5)])
    x = med["guildlike run hello.py -y"] / hello
    t.append(["`guildlike run hello.py -y` vs `python hello.py`", "<= 7x", f"{x:.2f}x", common.verdict(x <= 7)])
    if "guild run hello.py -y" in med:
        x = med["guild run hello.py -y"] / med["guildlike run hello.py -y"]
        t.append(["`guild run hello.py -y` / `guildlike run hello.py -y`", ">= 8x faster", f"{x:.2f}x faster", common.verdict(x >= 8)])
    x = med["guildlike run pipe -y (5 steps)"] / baseline_pipe
    t.append([
        "pipeline of 5 steps vs 5 scripts + one CLI start "
        f"({common.fmt_s(med['5 scripts one after another'])} + {common.fmt_s(med['guildlike --help'])})",
        "<= 1.5x", f"{x:.2f}x", common.verdict(x <= 1.5),
    ])
    if "guild run pipe -y (5 steps)" in med:
        x = med["guild run pipe -y (5 steps)"] / med["guildlike run pipe -y (5 steps)"]
        t.append(["`guild run pipe -y` / `guildlike run pipe -y` (reference)", "-", f"{x:.2f}x faster", "-"])
    x = med["python -c 'import click, yaml'"] / hello
    t.append(["(reference) `python -c 'import click, yaml'` vs `python hello.py`", "-", f"{x:.2f}x", "-"])
    out += ["Issue 6 targets", "", common.table(["target", "goal", "measured", "verdict"], t)]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
