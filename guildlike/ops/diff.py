"""``diff``: why two runs' results differ.

A report of sections, each a list of lines (the CLI prints them): flags that
changed, code identity (git commit, clean or dirty, of each run's last
attempt), source files that changed (a unified diff of the two source
snapshots), upstream runs that differ (through ``deps`` and pipeline step
links, followed recursively), hashes of outputs that differ
(``.guild/data.json``), and on request every attribute, the environment
(secrets are never stored, and names that look secret are never shown) and
the output. ``--working`` compares a run's source snapshot with the project
folder. With a command (``-c``), that tool runs on the two folders or files
instead and its output is passed through.
"""

from __future__ import annotations

import difflib
import json
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import DiffError
from ..guildfile import sourcecode
from ..guildfile.opdef import OpDef
from ..store import attrs as attrs_mod
from ..store import links, store
from ..store.filters import RunFilter
from ..store.run import Run
from ..store.select import select_one
from ..util import secrets
from . import datahash
from .opdefs import project_dir_for
from .requires import upstream_ids

MAX_DEPTH = 8
DEFAULT_SECTIONS = ("flags", "code", "sourcecode", "deps", "data")
ALL_SECTIONS = ("flags", "attrs", "code", "sourcecode", "deps", "data", "env", "output")
TOOL_PATHS = {  # what an external tool gets, by section
    "flags": ".guild/attrs/flags", "env": ".guild/attrs/env", "deps": ".guild/attrs/deps",
    "output": ".guild/output", "attrs": ".guild/attrs", "sourcecode": "",
}


@dataclass
class DiffOptions:
    sections: tuple[str, ...] = ()  # empty: DEFAULT_SECTIONS
    working: bool = False
    cmd: str | None = None


def pick_runs(ctx: Context, specs: Sequence[str], flt: RunFilter, working: bool) -> tuple[Run, Run | None]:
    """The two runs to compare (RUN1 first): without RUN, the second newest and the newest."""
    runs = store.list_runs(ctx, flt)
    if working:
        if len(specs) > 1:
            raise DiffError("--working compares one run with the project folder", ["Give at most one RUN."])
        return select_one(runs, specs[0] if specs else None, "diff"), None
    if len(specs) == 1 or len(specs) > 2 or (not specs and len(runs) < 2):
        hint = "Try specifying a second RUN or 'guildlike diff --help' for more information."
        raise DiffError("diff requires two runs", [hint])
    if not specs:
        return runs[1], runs[0]
    return select_one(runs, specs[0], "diff"), select_one(runs, specs[1], "diff")


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list, str)) else str(value)


def dict_changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """``name: A -> B`` for each key whose value differs (absent is ``(none)``)."""
    return [f"{k}: {_show(a.get(k))} -> {_show(b.get(k))}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _read_text(path: Path) -> list[str] | None:
    """Lines of a text file, [] when absent, None when binary."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return []
    except OSError as e:
        return [f"<cannot read: {e.strerror}>\n"]
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def file_diff(a: Path, b: Path, name: str) -> list[str]:
    """A unified diff of two files (``a/NAME``, ``b/NAME``); empty when they are the same."""
    la, lb = _read_text(a), _read_text(b)
    if la is None or lb is None:
        same = a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()
        return [] if same else [f"Binary files a/{name} and b/{name} differ"]
    return [line.rstrip("\n") for line in difflib.unified_diff(la, lb, f"a/{name}", f"b/{name}")]


def _source_files(run: Run) -> list[str]:
    files = run.get("sourcecode") or []
    return [str(f) for f in files] if isinstance(files, list) else []


def source_changes(run_a: Run, dir_b: Path, files_b: list[str]) -> list[str]:
    out: list[str] = []
    for rel in sorted(set(_source_files(run_a)) | set(files_b)):
        out += file_diff(run_a.path / rel, dir_b / rel, rel)
    return out


def working_dir(ctx: Context, run: Run) -> tuple[Path, list[str]]:
    """The project folder of ``run``'s operation and the source files it selects now."""
    op = OpDef.from_data(run.get("op") or {})
    project = project_dir_for(ctx, op)
    _, root, _ = sourcecode.parse_spec(op.sourcecode)
    files = sourcecode.select_files(project, op.sourcecode, exclude_dirs=[ctx.home])
    return (project / root if root else project), files


def _code(run: Run) -> str:
    attempts = run.get("attempts") or []
    code = attempts[-1].get("code") if attempts and isinstance(attempts[-1], dict) else None
    if not isinstance(code, dict):
        return "unknown"
    if code.get("type") != "git":
        return f"none ({code.get('message') or 'no version control'})"
    text = f"git {str(code.get('commit') or '(no commit)')[:12]} {'clean' if code.get('clean') else 'dirty'}"
    return text + (f" ({code['message']})" if code.get("message") else "")


def code_changes(a: Run, b: Run) -> list[str]:
    ca, cb = _code(a), _code(b)
    return [] if ca == cb else [f"RUN1: {ca}", f"RUN2: {cb}"]


def data_changes(a: Run, b: Run) -> list[str]:
    da, db = datahash.read(a.path), datahash.read(b.path)
    out: list[str] = []
    for rel in sorted(set(da) | set(db)):
        ha, hb = (da.get(rel) or {}).get("sha256"), (db.get(rel) or {}).get("sha256")
        if ha == hb:
            continue
        if ha is None or hb is None:
            out.append(f"{rel}: only in {'RUN2' if ha is None else 'RUN1'}")
        else:
            out.append(f"{rel}: {str(ha)[:12]} -> {str(hb)[:12]}")
    return out


def upstream(run: Run) -> dict[str, str]:
    """``{name: run id}`` of the runs ``run`` depends on: ``deps`` and step links (not trials)."""
    found: dict[str, str] = {}
    for name, rid in upstream_ids(run.get("deps")):
        found[name] = rid
    for name in links.run_link_names(run.path):
        rid = links.target_id(run.path / name)
        if rid != name:
            found.setdefault(name, rid)
    return found


def deps_changes(ctx: Context, a: Run, b: Run, depth: int = 0, seen: set[tuple[str, str]] | None = None) -> list[str]:
    """Upstream runs that differ, each with its flag changes and, indented, its own upstream."""
    seen = set() if seen is None else seen
    ua, ub = upstream(a), upstream(b)
    out: list[str] = []
    for name in sorted(set(ua) | set(ub)):
        ia, ib = ua.get(name), ub.get(name)
        if ia == ib:
            continue
        out.append(f"{name}: {(ia or '(none)')[:8]} -> {(ib or '(none)')[:8]}")
        if ia is None or ib is None or (ia, ib) in seen or depth >= MAX_DEPTH:
            continue
        seen.add((ia, ib))
        ra, rb = store.run_for_id(ctx, ia), store.run_for_id(ctx, ib)
        if not (ra.path.is_dir() and rb.path.is_dir()):
            out.append("  (a run not found)")
            continue
        out += [f"  {line}" for line in dict_changes(ra.flags, rb.flags)]
        if (ra.get("sourcecode_digest") or "") != (rb.get("sourcecode_digest") or ""):
            out.append("  sourcecode differs")
        changed = len(data_changes(ra, rb))
        if changed:
            out.append(f"  data: {changed} file(s) differ")
        out += [f"  {line}" for line in deps_changes(ctx, ra, rb, depth + 1, seen)]
    return out


def _attrs(run: Run) -> dict[str, Any]:
    return {n: run.get(n) for n in attrs_mod.names(run.path) if n not in ("env", "id")}


def _env(ctx: Context, run: Run) -> dict[str, Any]:
    env = run.get("env") or {}
    pats = secrets.patterns(ctx.env)
    return {k: v for k, v in env.items() if not secrets.is_secret(str(k), pats)} if isinstance(env, dict) else {}


def section(ctx: Context, name: str, a: Run, b: Run) -> list[str]:
    makers: dict[str, Callable[[], list[str]]] = {
        "flags": lambda: dict_changes(a.flags, b.flags),
        "attrs": lambda: dict_changes(_attrs(a), _attrs(b)),
        "code": lambda: code_changes(a, b),
        "sourcecode": lambda: source_changes(a, b.path, _source_files(b)),
        "deps": lambda: deps_changes(ctx, a, b),
        "data": lambda: data_changes(a, b),
        "env": lambda: dict_changes(_env(ctx, a), _env(ctx, b)),
        "output": lambda: file_diff(a.guild_dir / "output", b.guild_dir / "output", "output"),
    }
    return makers[name]()


def report(ctx: Context, a: Run, b: Run, sections: Sequence[str]) -> list[str]:
    """The report's lines: a header, then each section, or ``NAME: no differences``."""
    out = [f"RUN1 {a.id} ({a.op_name})", f"RUN2 {b.id} ({b.op_name})"]
    for name in sections:
        lines = section(ctx, name, a, b)
        out += [f"{name}:"] + [f"  {line}" for line in lines] if lines else [f"{name}: no differences"]
    return out


def working_report(ctx: Context, run: Run) -> list[str]:
    project, files = working_dir(ctx, run)
    out = [f"RUN1 {run.id} ({run.op_name})", f"project {project}"]
    if not _source_files(run):
        return out + ["sourcecode: the run has no source snapshot"]
    lines = source_changes(run, project, files)
    return out + (["sourcecode:"] + [f"  {line}" for line in lines] if lines else ["sourcecode: no differences"])


def run_tool(ctx: Context, cmd: str, left: Path, right: Path) -> None:
    """Run ``cmd LEFT RIGHT``, its output passed through whatever its exit status."""
    try:
        argv = shlex.split(cmd)
    except ValueError as e:
        raise DiffError(f"invalid diff command '{cmd}': {e}") from None
    if not argv:
        raise DiffError("the diff command is empty")
    try:
        proc = subprocess.run(argv + [str(left), str(right)], capture_output=True, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise DiffError(f"cannot run diff command '{argv[0]}': {(e.strerror or str(e)).lower()}") from None
    ctx.ui.stream(proc.stdout, err=False)
    ctx.ui.stream(proc.stderr, err=True)


def diff(ctx: Context, specs: Sequence[str], flt: RunFilter, opts: DiffOptions) -> list[str]:
    """The report for the runs ``specs`` select (see ``pick_runs``); [] when a tool ran instead."""
    a, b = pick_runs(ctx, specs, flt, opts.working)
    sections = opts.sections or DEFAULT_SECTIONS
    if opts.cmd is not None:
        rel = TOOL_PATHS.get(sections[0], "") if opts.sections else ""
        right = working_dir(ctx, a)[0] if b is None else b.path / rel
        run_tool(ctx, opts.cmd, a.path / rel if b is not None else a.path, right)
        return []
    return working_report(ctx, a) if b is None else report(ctx, a, b, sections)
