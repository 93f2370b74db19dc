"""Shared helpers for the bench scripts: timing commands, tables, ratios.

``measure`` runs a command R times after W warm-up runs and reports the
minimum, median and maximum wall time and the peak resident memory of the
command's process tree (``ru_maxrss`` from ``os.wait4``, which covers the
child and the descendants it waited for, the same figure ``/usr/bin/time -v``
prints as "Maximum resident set size"). Output goes to /dev/null unless a
file is given, so terminal speed is not measured.

Standard library only.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


class CommandFailed(RuntimeError):
    pass


@dataclass
class Result:
    name: str
    cmd: str
    times: list[float] = field(default_factory=list)  # seconds
    rss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # seconds, user + system (measure only)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)

    @property
    def peak_rss_mb(self) -> float:
        return max(self.rss_kb) / 1024 if self.rss_kb else 0.0

    def summary(self) -> dict[str, object]:
        d = asdict(self)
        d.update(median=self.median, min=self.min, max=self.max, peak_rss_mb=self.peak_rss_mb)
        return d


def guildlike_bin() -> str:
    exe = os.environ.get("GUILDLIKE_BIN") or shutil.which("guildlike")
    if not exe:
        sys.exit("guildlike is not on PATH (pip install -e . from the repository), or set GUILDLIKE_BIN")
    return exe


def guild_bin() -> str | None:
    """Guild AI's command: ``$GUILD_BIN``, else ``guild`` on ``PATH``; None when neither is there."""
    exe = os.environ.get("GUILD_BIN") or shutil.which("guild")
    return exe if exe and os.path.exists(exe) and os.access(exe, os.X_OK) else None


def guildlike_python() -> str:
    """The Python interpreter guildlike runs on (its entry script's shebang)."""
    exe = guildlike_bin()
    try:
        with open(exe, "rb") as f:
            first = f.readline().decode(errors="replace").strip()
        if first.startswith("#!"):
            py = first[2:].strip().split()[0]
            if os.path.exists(py):
                return py
    except OSError:
        pass
    return sys.executable


def run_once(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    stdout: str | None = None,
    expect_rc: int | None = 0,
) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one run of ``cmd``."""
    wall, _cpu, rss, rc = run_timed(cmd, env, cwd, stdout, expect_rc)
    return wall, rss, rc


def run_timed(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    stdout: str | None = None,
    expect_rc: int | None = 0,
) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds (user + system), peak RSS in KiB, exit code) of one run of ``cmd``.

    CPU time is the steadier figure on a loaded machine: wall time there
    includes waiting for a core."""
    with tempfile.TemporaryFile() as err:
        out = open(stdout, "wb") if stdout else subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
        finally:
            if stdout:
                out.close()  # type: ignore[union-attr]
        rc = os.waitstatus_to_exitcode(status)
        p.returncode = rc
        if expect_rc is not None and rc != expect_rc:
            err.seek(0)
            msg = err.read().decode(errors="replace")[-3000:]
            raise CommandFailed(f"{shlex.join(cmd)} exited {rc} (expected {expect_rc}):\n{msg}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, rc


def measure(
    name: str,
    cmd: Sequence[str],
    repeat: int = 5,
    warmup: int = 1,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    setup: Callable[[], None] | None = None,
    expect_rc: int | None = 0,
    quiet: bool = False,
) -> Result:
    """Run ``cmd`` ``warmup`` times unmeasured, then ``repeat`` times measured.

    ``setup`` runs before every run (warm-up included), outside the timing.
    """
    res = Result(name, shlex.join(cmd))
    for i in range(warmup + repeat):
        if setup:
            setup()
        wall, cpu, rss, _ = run_timed(cmd, env=env, cwd=cwd, expect_rc=expect_rc)
        if i >= warmup:
            res.times.append(wall)
            res.cpu.append(cpu)
            res.rss_kb.append(rss)
    if not quiet:
        _print_result(res)
    return res


def measure_group(
    specs: Sequence[tuple[str, Sequence[str], dict[str, str] | None]],
    repeat: int = 5,
    warmup: int = 1,
    cwd: str | Path | None = None,
    quiet: bool = False,
) -> dict[str, Result]:
    """Time several commands round-robin, so that drifts in machine load hit them alike.

    ``specs`` holds (name, command, env). Each round runs every command once.
    """
    res = {name: Result(name, shlex.join(cmd)) for name, cmd, _ in specs}
    for i in range(warmup + repeat):
        for name, cmd, env in specs:
            wall, rss, _ = run_once(cmd, env=env, cwd=cwd)
            if i >= warmup:
                res[name].times.append(wall)
                res[name].rss_kb.append(rss)
    if not quiet:
        for r in res.values():
            _print_result(r)
    return res


def _print_result(res: Result) -> None:
    print(
        f"  {res.name:<48} median {fmt_s(res.median):>9}  min {fmt_s(res.min):>9}  "
        f"max {fmt_s(res.max):>9}  rss {res.peak_rss_mb:6.1f} MB  (n={len(res.times)})"
        + (f"  CPU median {fmt_s(statistics.median(res.cpu))}" if res.cpu else ""),
        file=sys.stderr,
        flush=True,
    )


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.0995 else f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("MET" if ok else "MISSED")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable as plain text too)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if j == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# How timed commands get their bytecode: "cache" (the default) lets Python
# write and reuse .pyc files under a bench-owned folder (PYTHONPYCACHEPREFIX),
# as on a user's machine where pip compiled the packages; "env" keeps the
# environment as it is (this workplace sets PYTHONDONTWRITEBYTECODE=1, so the
# editable guildlike is compiled from source on every start).
BYTECODE = "cache"
PYCACHE_DIR = Path(tempfile.gettempdir()) / "guildlike-bench-pycache"


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for k in ("GUILDLIKE_HOME", "GUILD_HOME", "PYTHONWARNINGS"):
        env.pop(k, None)
    if BYTECODE == "cache":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    if SOURCE is not None:
        env["PYTHONPATH"] = str(SOURCE) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


# The guildlike source timed: None for what is installed (the working tree of
# the editable install), else a folder holding the repository at --rev,
# exported with ``git archive`` and put first on PYTHONPATH.
SOURCE: Path | None = None
SOURCE_REV = ""


def configure(args: "object") -> None:
    """Apply the common options (call right after parsing)."""
    global BYTECODE
    BYTECODE = getattr(args, "bytecode", "cache")
    rev = getattr(args, "rev", None)
    if rev:
        use_rev(rev)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout.strip()


def use_rev(rev: str) -> Path:
    """Time the repository as of ``rev`` (exported to a temp folder), not the working tree."""
    import tarfile

    global SOURCE, SOURCE_REV
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    dest = Path(tempfile.gettempdir()) / f"guildlike-bench-src-{sha[:12]}"
    if not (dest / "guildlike" / "__init__.py").exists():
        tmp = Path(tempfile.mkdtemp(prefix=f"guildlike-bench-src-{sha[:12]}-"))
        data = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", sha], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(data)) as tf:
            tf.extractall(tmp, filter="data")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    SOURCE, SOURCE_REV = dest, sha
    return dest


def src_root() -> Path:
    """The repository whose code and specs are timed."""
    return SOURCE or REPO


def source_desc() -> str:
    if SOURCE:
        return f"guildlike at commit {SOURCE_REV[:12]} (exported to {SOURCE})"
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--", "guildlike")
    except (OSError, subprocess.CalledProcessError):
        return "guildlike as installed"
    n = len(dirty.splitlines())
    return f"guildlike working tree at {head}" + (f" with {n} uncommitted file(s) under guildlike/" if n else " (clean)")


def save_json(path: str | None, data: object) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))
        print(f"wrote {path}", file=sys.stderr)


def machine() -> str:
    import platform

    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
    return (
        f"{os.cpu_count()} cores (nproc), Python {platform.python_version()} "
        f"({guildlike_python()}), {platform.system()} {platform.release()}, bytecode: {BYTECODE}; "
        f"{source_desc()}; load average {load}"
    )


def add_common_args(ap: "object") -> None:
    ap.add_argument("-r", "--repeat", type=int, default=5, help="measured runs per command (default 5)")  # type: ignore[attr-defined]
    ap.add_argument("-w", "--warmup", type=int, default=1, help="unmeasured warm-up runs (default 1)")  # type: ignore[attr-defined]
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")  # type: ignore[attr-defined]
    ap.add_argument("--no-guild", action="store_true", help="do not time Guild AI even when installed")  # type: ignore[attr-defined]
    ap.add_argument(  # type: ignore[attr-defined]
        "--bytecode",
        choices=("cache", "env"),
        default="cache",
        help="cache: let Python cache .pyc files in a bench folder (default); env: keep the environment's setting",
    )
    ap.add_argument(  # type: ignore[attr-defined]
        "--rev",
        metavar="REV",
        help="time guildlike as of this git revision (exported with git archive) instead of the working tree",
    )
