#!/usr/bin/env python3
"""Build a home of N runs fast, by writing run directories directly.

The runs are written in the real on-disk layout (Guild AI's, which guildlike
reads and writes): ``runs/<id>/.guild/opref``, ``runs/<id>/.guild/attrs/<name>``
(one YAML document per attribute) and ``runs/<id>/.guild/output``. Both
``guildlike runs`` and ``guild runs`` list them.

The mix: operations ``train`` (60%), ``prep`` (25%) and ``m:fit`` (15%);
statuses completed (exit_status 0), error (1) and terminated (-15), plus a
few staged runs (a ``STAGED`` marker, never started); start times spread
evenly, with jitter, over the seven days before 2026-11-21 00:00 (local
time); labels from the flags or a word, and tags on about 2% of the runs.
Everything is derived from the run's number and ``--seed``, so a home of N
runs is always the same.

Homes are kept under ``--root`` (default ``$BENCH_ROOT`` or
``/tmp/guildlike-bench``) as ``home-N`` and reused when they were built with
the same size, seed and layout version. The project they point to
(``<root>/project``, with a ``guild.yml``) is the working directory to list
them from.

    python bench/make_home.py 1000 10000       # build (or reuse) two homes
    python bench/make_home.py 100000 --force   # rebuild

Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

LAYOUT_VERSION = 2  # 2: completed runs have .guild/scalars.json (5 scalars)
DEFAULT_SEED = 20261121
MARKER = ".bench-home.json"
# 2026-11-14 00:00 local time to 2026-11-21 00:00 local time.
SPAN_START = time.mktime((2026, 11, 14, 0, 0, 0, 0, 0, -1))
SPAN_END = time.mktime((2026, 11, 21, 0, 0, 0, 0, 0, -1))

GUILD_YML = """\
# The project the bench runs point to (bench/make_home.py).
train:
  main: train
  flags:
    lr: 0.01
    batch: 32
    epochs: 10
prep:
  main: prep
  flags:
    split: 0.2
    seed: 7
"""

WORDS = ("baseline", "sweep", "ablation", "retry", "best-so-far", "smoke")


def default_root() -> Path:
    return Path(os.environ.get("BENCH_ROOT") or "/tmp/guildlike-bench")


def project_dir(root: Path) -> Path:
    return root / "project"


def home_dir(root: Path, n: int) -> Path:
    return root / f"home-{n}"


def ensure_project(root: Path) -> Path:
    proj = project_dir(root)
    proj.mkdir(parents=True, exist_ok=True)
    gf = proj / "guild.yml"
    if not gf.exists() or gf.read_text() != GUILD_YML:
        gf.write_text(GUILD_YML)
    for name in ("train.py", "prep.py"):
        p = proj / name
        if not p.exists():
            p.write_text("print('ok')\n")
    return proj


def run_id(seed: int, i: int) -> str:
    return hashlib.md5(f"{seed}-{i}".encode()).hexdigest()


def _fmt_float(x: float) -> str:
    s = repr(x)
    return s if ("." in s or "e" in s) else s + ".0"


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _yaml_list(items: list[str]) -> str:
    return "".join(f"- {_quote(s)}\n" for s in items)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def run_files(i: int, n: int, seed: int, guildfile: str, proj: str) -> tuple[str, dict[str, str]]:
    """(run id, {relative path under the run directory: text}) for run ``i`` of ``n``."""
    rnd = random.Random(seed * 1_000_003 + i)
    rid = run_id(seed, i)
    u = rnd.random()
    if u < 0.60:
        model, op = "", "train"
        flags = {"lr": rnd.choice((0.001, 0.01, 0.1)), "batch": rnd.choice((16, 32, 64)), "epochs": rnd.randint(1, 20)}
    elif u < 0.85:
        model, op = "", "prep"
        flags = {"split": rnd.choice((0.1, 0.2, 0.3)), "seed": rnd.randint(0, 99)}
    else:
        model, op = "m", "fit"
        flags = {"C": rnd.choice((0.1, 1.0, 10.0)), "kernel": rnd.choice(("rbf", "linear"))}
    step = (SPAN_END - SPAN_START) / max(n, 1)
    started_s = SPAN_START + i * step + rnd.random() * step * 0.5
    init_us = int((started_s - 0.05 - rnd.random() * 0.2) * 1_000_000)
    started_us = int(started_s * 1_000_000)
    stopped_us = started_us + int(rnd.uniform(0.5, 600.0) * 1_000_000)
    s = rnd.random()
    staged = s < 0.002
    if s < 0.80:
        exit_status = 0
    elif s < 0.93:
        exit_status = 1
    else:
        exit_status = -15
    flag_text = "".join(
        f"{k}: {_fmt_float(v) if isinstance(v, float) else v}\n" for k, v in sorted(flags.items())
    )
    flag_label = " ".join(f"{k}={_fmt_float(v) if isinstance(v, float) else v}" for k, v in sorted(flags.items()))
    r = rnd.random()
    if r < 0.10:
        label = rnd.choice(WORDS)
    elif r < 0.15:
        label = f"{rnd.choice(WORDS)} {flag_label}"
    else:
        label = flag_label
    main = "train" if op == "fit" else op
    cmd = ["/usr/bin/python3", "-um", "guildlike.op_main", main, "--"]
    for k, v in sorted(flags.items()):
        cmd += [f"--{k}", str(v)]
    op_data = (
        f"flags-dest: globals\nguildfile: {guildfile}\nmain: {main}\nname: {op}\n"
        f"project-dir: {proj}\n"
    )
    attrs = {
        "id": f"{rid}\n",
        "initialized": f"{init_us}\n",
        "flags": flag_text,
        "label": _quote(label) + "\n",
        "op": op_data,
        "cmd": _yaml_list(cmd),
        "run_params": "max_parallel: 1\ntrigger: run\n",
        "host": "bench\n",
        "user": "bench\n",
        "sourcecode_digest": hashlib.md5(f"src-{i % 7}".encode()).hexdigest() + "\n",
    }
    files: dict[str, str] = {}
    if staged:
        files[".guild/STAGED"] = ""
    else:
        attrs["started"] = f"{started_us}\n"
        attrs["stopped"] = f"{stopped_us}\n"
        attrs["exit_status"] = f"{exit_status}\n"
        files[".guild/output"] = "loss: 0.5\n" if exit_status == 0 else "Traceback: failed\n"
        files[".guild/scalars.json"] = _scalars_json(rnd, exit_status)
    if rnd.random() < 0.02:
        attrs["tags"] = _yaml_list(rnd.sample(("best", "v2", "paper", "keep"), 2))
    for k, v in attrs.items():
        files[f".guild/attrs/{k}"] = v
    files[".guild/opref"] = f"guildfile:{guildfile} '' {_quote(model) if not model else model} {op}\n"
    return rid, files


SCALAR_KEYS = ("loss", "acc", "val/loss", "val/acc", "lr")


def _scalars_json(rnd: random.Random, exit_status: int) -> str:
    """Five scalar summaries, as ``ops/scalars.py`` stores them; a failed run has NaN loss."""
    out = {}
    for key in SCALAR_KEYS:
        last = float("nan") if key == "loss" and exit_status != 0 else round(rnd.random(), 6)
        out[key] = {"last": last, "step": 9, "first": round(rnd.random(), 6), "min": 0.0, "max": 1.0, "count": 10}
    return json.dumps(out, sort_keys=True)


def _build_chunk(args: tuple[str, int, int, int, int, str, str]) -> int:
    runs_dir, lo, hi, n, seed, guildfile, proj = args
    for i in range(lo, hi):
        rid, files = run_files(i, n, seed, guildfile, proj)
        rdir = os.path.join(runs_dir, rid)
        os.makedirs(os.path.join(rdir, ".guild", "attrs"))
        for rel, text in files.items():
            _write(os.path.join(rdir, rel), text)
    return hi - lo


def _marker(n: int, seed: int) -> dict[str, int]:
    return {"runs": n, "seed": seed, "layout": LAYOUT_VERSION}


def build(n: int, root: Path | None = None, seed: int = DEFAULT_SEED, force: bool = False, jobs: int = 0, quiet: bool = False) -> Path:
    """The home of ``n`` runs under ``root``, built unless it exists already."""
    root = root or default_root()
    proj = ensure_project(root)
    home = home_dir(root, n)
    marker = home / MARKER
    if not force and marker.exists():
        try:
            if json.loads(marker.read_text()) == _marker(n, seed):
                return home
        except ValueError:
            pass
    if home.exists():
        shutil.rmtree(home)
    tmp = root / f".home-{n}.building"
    if tmp.exists():
        shutil.rmtree(tmp)
    runs_dir = tmp / "runs"
    runs_dir.mkdir(parents=True)
    guildfile = str(proj / "guild.yml")
    jobs = jobs or os.cpu_count() or 1
    chunk = max(500, n // (jobs * 8) or 1)
    parts = [(str(runs_dir), lo, min(n, lo + chunk), n, seed, guildfile, str(proj)) for lo in range(0, n, chunk)]
    t0 = time.perf_counter()
    if jobs > 1 and len(parts) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            done = sum(ex.map(_build_chunk, parts))
    else:
        done = sum(map(_build_chunk, parts))
    (tmp / MARKER).write_text(json.dumps(_marker(n, seed)))
    os.replace(tmp, home)
    if not quiet:
        print(f"built {home} ({done} runs) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return home


def drop_index(home: Path) -> None:
    """Remove guildlike's run index, so the next listing builds it (a cold listing)."""
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(str(home / "index.sqlite") + suffix)
        except FileNotFoundError:
            pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1000], help="numbers of runs (default 1000)")
    ap.add_argument("--root", type=Path, default=None, help="where homes are kept (default $BENCH_ROOT or /tmp/guildlike-bench)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--force", action="store_true", help="rebuild even when a matching home exists")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: cores)")
    args = ap.parse_args(argv)
    for n in args.sizes:
        home = build(n, args.root, args.seed, args.force, args.jobs)
        print(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
