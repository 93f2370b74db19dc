"""The run log: one document for a run or a whole pipeline.

Like Runnable's run log, it gathers what was recorded invisibly: each
step's attempts, code identities, the hashes of the files it produced, its
flags and scalars, and the pipeline's structure. The run directories remain
the single source of truth; this module only reads them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..store import links
from ..store.run import Run
from ..store.settle import settled_attempts
from ..util.timeutil import format_us
from ..util.yamlutil import encode_value
from . import datahash, scalars


def step_links(run: Run) -> list[tuple[str, str | None]]:
    """(link name, target run id or None when dangling), in step order when recorded."""
    out: list[tuple[str, str | None]] = []
    names: list[str] = []
    structure = run.get("structure") or {}
    for s in structure.get("steps") or []:
        names.append(s["name"])
    present = links.run_link_names(run.path)
    for n in present:
        if n not in names:
            names.append(n)
    for n in names:
        link = run.path / n
        if not os.path.islink(link):
            out.append((n, None))
            continue
        out.append((n, links.target_id(link) if os.path.isdir(link) else None))
    return out


def run_record(run: Run) -> dict[str, Any]:
    op = run.get("op") or {}
    attempts, _ = settled_attempts(run)
    rec: dict[str, Any] = {
        "run_id": run.id,
        "operation": run.op_name,
        "status": run.status,
        "label": run.label,
        "started": format_us(run.get("started")),
        "stopped": format_us(run.get("stopped")),
        "exit_status": run.get("exit_status"),
        "flags": run.flags,
        "sourcecode_digest": run.get("sourcecode_digest") or "",
        "restarts": max(len(attempts) - 1, 0),
        "attempts": [_attempt(a) for a in attempts],
        "code_identities": _identities(run),
        "data_catalog": [
            {"name": name, "data_hash": h["sha256"], "size": h["size"]}
            for name, h in sorted(datahash.read(run.path).items())
        ],
        "scalars": {k: {"value": v.get("last"), "step": v.get("step")} for k, v in scalars.read(run.path).items()},
        "deps": run.get("deps") or {},
        "run_dir": str(run.path),
    }
    if isinstance(op, dict) and op.get("steps") is not None:
        rec["structure"] = run.get("structure") or {}
    return rec


def _attempt(a: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    out["start_time"] = format_us(a.get("started"))
    out["end_time"] = format_us(a.get("stopped"))
    return out


def _identities(run: Run) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for a in run.get("attempts") or []:
        ident = a.get("code")
        if ident and ident not in seen:
            seen.append(ident)
    return seen


def document(run: Run, runs_dir: Path, depth: int = 0) -> dict[str, Any]:
    """The run log of ``run``; a pipeline (or batch) includes its linked runs."""
    doc = run_record(run)
    links = step_links(run)
    if links and depth < 4:
        steps: dict[str, Any] = {}
        for name, target in links:
            if target is None:
                steps[name] = {"run_id": None, "status": "missing"}
                continue
            child = Run(target, runs_dir / target)
            steps[name] = document(child, runs_dir, depth + 1)
        doc["steps"] = steps
    return doc


def _attempt_line(a: dict[str, Any]) -> str:
    trig = a.get("trigger") or {}
    kind = trig.get("kind", "run")
    ref = trig.get("run")
    why = {"run": "first run", "restart": "restart"}.get(kind, kind)
    if kind in ("pipeline", "batch") and ref:
        why = f"{kind} {ref[:8]}"
    dur = a.get("duration")
    dur_s = f"{dur:.2f}s" if isinstance(dur, (int, float)) else "-"
    code = a.get("exit_status")
    st = a.get("status", "")
    st_s = f"{st} (exit {code})" if code not in (None, 0) else st
    host = a.get("host") or ""
    start = a.get("start_time") or format_us(a.get("started"))
    return f"#{a.get('number')}  {start}  {dur_s}  {st_s}  {why}  on {host}"


def _code_line(ident: dict[str, Any]) -> str:
    if ident.get("type") != "git":
        return ident.get("message") or "not a git repository"
    commit = (ident.get("commit") or "")[:12] or "(no commit)"
    state = "clean" if ident.get("clean") else f"dirty: {ident.get('message', 'changes')}"
    remote = f" {ident['remote']}" if ident.get("remote") else ""
    return f"git {commit} ({state}){remote}"


def _dep_lines(deps: dict[str, Any]) -> list[str]:
    """One line per resolved source: ``operation:prep -> 7da2b6ed (2 files)``."""
    out: list[str] = []
    for name, res in sorted(deps.items()):
        srcs = [s for s in res.values() if isinstance(s, dict)] if isinstance(res, dict) else []
        if isinstance(res, dict) and "run" in res:
            srcs = [{"config": res.get("run"), "paths": res.get("paths") or []}]
        if not srcs:
            out.append(f"{name} (not resolved)")
        for src in srcs:
            n = len(src.get("paths") or [])
            run = f" -> {str(src['config'])[:8]}" if src.get("config") else ""
            out.append(f"{name}{run} ({n} file{'' if n == 1 else 's'})")
    return out


def tree(doc: dict[str, Any], indent: str = "") -> list[str]:
    """The run log as a readable tree."""


    lines = [f"{indent}{doc['operation']} [{doc['run_id'][:8]}]  {doc['status']}  restarts: {doc['restarts']}"]
    pad = indent + "  "
    if doc["flags"]:
        lines.append(pad + "flags: " + " ".join(f"{k}={encode_value(v)}" for k, v in sorted(doc["flags"].items())))
    for ident in doc["code_identities"]:
        lines.append(pad + "code: " + _code_line(ident))
    if doc["attempts"]:
        lines.append(pad + "attempts:")
        lines += [pad + "  " + _attempt_line(a) for a in doc["attempts"]]
    if doc["data_catalog"]:
        lines.append(pad + "data:")
        lines += [f"{pad}  {d['name']}  sha256:{d['data_hash'][:16]}  {d['size']} bytes" for d in doc["data_catalog"]]
    if doc["scalars"]:
        lines.append(pad + "scalars: " + ", ".join(f"{k}={v['value']:g}" for k, v in sorted(doc["scalars"].items())))
    deps = doc.get("deps")
    if isinstance(deps, dict) and deps:
        lines.append(pad + "requires:")
        lines += [pad + "  " + line for line in _dep_lines(deps)]
    if "structure" in doc and doc["structure"]:
        lines.append(pad + f"structure: {doc['structure'].get('hash', '')}")
    for name, step in (doc.get("steps") or {}).items():
        if step.get("run_id") is None:
            lines.append(f"{pad}{name} -> (no run)")
            continue
        lines.append(f"{pad}{name} ->")
        lines += tree(step, pad + "  ")
    return lines
