#!/usr/bin/env python3
"""``guildlike view`` at 100,000 runs: server time of its pages, and its memory.

The home comes from make_home.py, kept apart (``<root>/view/home-N``)
because 1,000 of its completed runs get a series of five scalars (100 steps
each) written into them, which the shared homes must not have. A server
(``guildlike view --no-open``) is started as its own process; each request
is timed from this process over HTTP on the local host (median of -r after
a warm-up), so a figure is the server's time plus a loopback round trip.

- runs page, first screen: ``/api/runs?limit=50`` (target under 200 ms),
  with a filter, and a search that has to look through every run;
- a run's page: its four requests, one after the other (target under 300 ms);
- compare of 1,000 runs with 5 series: the table, and the series of one
  scalar for the 1,000 runs (what the page draws first);
- with Chromium and Selenium installed, the compare page drawn in a
  headless browser, from navigation to the chart on screen (target under 2 s);
- the server's resident memory after all of it (peak and current).

    python bench/view.py
    python bench/view.py --runs 10000 -r 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import common
import make_home

from guildlike.store import series

SERIES_RUNS = 1000
KEYS = ("loss", "acc", "val_loss", "val_acc", "lr")
STEPS = 100


def add_series(home: Path, count: int) -> list[str]:
    """Write a 5-key series into ``count`` completed runs (once); their ids."""
    done = home / "view-series-runs.json"
    if done.exists():
        return list(json.loads(done.read_text()))
    rnd = random.Random(7)
    ids: list[str] = []
    for rid in sorted(os.listdir(home / "runs")):
        attrs = home / "runs" / rid / ".guild" / "attrs"
        if (attrs / "exit_status").exists() and (attrs / "exit_status").read_text().strip() == "0":
            ids.append(rid)
        if len(ids) == count:
            break
    for rid in ids:
        lines = [series.format_point(k, step, rnd.random() / (step + 1), 1_700_000_000.0 + step)
                 for step in range(STEPS) for k in KEYS]
        series.series_path(home / "runs" / rid).write_text("".join(lines))
    done.write_text(json.dumps(ids))
    return ids


def start_server(home: Path, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    env = common.base_env(GUILDLIKE_HOME=str(home))
    proc = subprocess.Popen([common.guildlike_python(), "-m", "guildlike", "view", "--no-open"], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("Serving "):
        proc.kill()
        raise SystemExit(f"view did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return proc, line.split()[1].rstrip("/")


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as resp:
        return bytes(resp.read())


def timed(urls: list[str], repeat: int) -> list[float]:
    """Seconds for fetching ``urls`` one after the other, ``repeat`` times after a warm-up."""
    for u in urls:
        get(u)
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for u in urls:
            get(u)
        out.append(time.perf_counter() - t0)
    return out


def memory(pid: int) -> tuple[float, float]:
    """(peak, current) resident memory in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def browser_draw(url: str, repeat: int) -> list[float] | None:
    """Seconds from navigating to the compare page to its series chart on screen, in headless Chromium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        return None
    browser, driver_bin = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver_bin:
        return None
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(driver_bin), options=opts)
    out = []
    try:
        for i in range(repeat + 1):
            drv.get("about:blank")
            t0 = time.perf_counter()
            drv.get(url)
            WebDriverWait(drv, 120, poll_frequency=0.02).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "#overlay[data-series] canvas"))
            if i:
                out.append(time.perf_counter() - t0)
    finally:
        drv.quit()
    return out


def row(name: str, times: list[float] | None, target: float | None) -> list[str]:
    if not times:
        return [name, "skipped (no Chromium or Selenium)", "", "", ""]
    med = statistics.median(times)
    ok = "" if target is None else common.verdict(med < target)
    return [name, common.fmt_s(med), common.fmt_s(min(times)), common.fmt_s(max(times)), ok]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_common_args(ap)
    ap.add_argument("--runs", type=int, default=100_000, help="runs in the home")
    ap.add_argument("--root", default=None, help="where homes are kept (default $BENCH_ROOT or /tmp/guildlike-bench)")
    args = ap.parse_args(argv)
    common.configure(args)
    root = (Path(args.root) if args.root else make_home.default_root()) / "view"
    home = make_home.build(args.runs, root)
    proj = make_home.ensure_project(root)
    ids = add_series(home, SERIES_RUNS)
    print(f"machine: {common.machine()}", file=sys.stderr)
    proc, base = start_server(home, proj)
    try:
        get(f"{base}/api/runs?limit=1")  # builds the index on a first listing
        first = json.loads(get(f"{base}/api/runs?limit=50"))
        some = first["runs"][25]["id"]
        joined = ",".join(ids)
        rows = [
            row("runs page, first screen (`/api/runs?limit=50`)",
                timed([f"{base}/api/runs?limit=50"], args.repeat), 0.2),
            row("runs page deep in the list (`offset=50000`)",
                timed([f"{base}/api/runs?limit=50&offset=50000"], args.repeat), 0.2),
            row("runs page, filtered (`op=train&status=error`)",
                timed([f"{base}/api/runs?limit=50&op=train&status=error"], args.repeat), 0.2),
            row("runs search, no match (scans every run)", timed([f"{base}/api/runs?limit=50&q=nosuchword"], 1), None),
            row("a run's page (run, series, files, output)", timed(
                [f"{base}/api/runs/{some}{p}" for p in ("", "/series", "/files", "/output")], args.repeat), 0.3),
            row(f"compare table of {len(ids):,} runs", timed([f"{base}/api/compare?run={joined}"], args.repeat), None),
            row(f"series of one scalar, {len(ids):,} runs x {STEPS} steps",
                timed([f"{base}/api/series?key=loss&points=200&run={joined}"], args.repeat), None),
            row(f"compare page of {len(ids):,} runs drawn in Chromium",
                browser_draw(f"{base}/#/compare?run={joined}", max(1, args.repeat // 2)), 2.0),
        ]
        peak, now = memory(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"home: {args.runs:,} runs; {len(ids):,} of them with {len(KEYS)} series of {STEPS} steps")
    print(common.table(["what", "median", "min", "max", "target"], rows))
    print(f"server memory: peak {peak:.0f} MB, at the end {now:.0f} MB resident")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
