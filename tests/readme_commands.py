"""Runs the commands README.md shows, the way a reader would.

A block is a run of lines indented by four spaces; its commands are the lines
starting with ``guildlike ``. All blocks share one temporary home and run in
order, each in a temporary copy of a sample project: the first project in
``samples/projects`` (in name order) that defines every operation the block
runs, or the previous block's project when it runs none.

A command must exit 0, or non-zero when its comment says it ``fails``, and
print no traceback. Placeholders are real runs of the temporary home:

- ``RUN``: the run the latest README ``guildlike run OP`` made (for a
  pipeline or batch, the pipeline or batch run, which starts first).
- ``BATCH``: a batch with a failed trial, as the README describes it. It is
  made here (in ``batches``: ``check``, whose trial x=1 crashes once because
  of ``CRASH_ON``), since a batch whose trials all complete is removed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from guildlike.util import yamlutil

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "samples" / "projects"
FAILS = re.compile(r"#.*\bfails\b")


@dataclass
class Block:
    line: int
    commands: list[str]


def readme_blocks(text: str) -> list[Block]:
    """The indented code blocks of a Markdown text that show commands."""
    blocks: list[Block] = []
    current: Block | None = None
    prev_blank = True
    for n, raw in enumerate(text.splitlines(), 1):
        indented = raw.startswith("    ")
        if indented and (current is not None or prev_blank):
            if current is None:
                current = Block(n, [])
                blocks.append(current)
            if raw[4:].startswith("guildlike "):
                current.commands.append(raw[4:].rstrip())
        elif raw.strip():
            current = None
        prev_blank = not raw.strip()
    return [b for b in blocks if b.commands]


def operations(cmd: str) -> list[str]:
    """The operation a ``guildlike run`` command names, if any."""
    words = shlex.split(cmd.split(" #", 1)[0])
    if words[1:2] != ["run"] or "--restart" in words or "--start" in words:
        return []
    for w in words[2:]:
        if not w.startswith("-") and "=" not in w and not w.startswith("@"):
            return [w]
    return []


def project_ops(project: Path) -> set[str]:
    data = yamlutil.load((project / "guild.yml").read_text()) if (project / "guild.yml").exists() else None
    ops: set[str] = {p.name for p in project.glob("*.py")}
    if isinstance(data, dict):
        ops.update(data)
    elif isinstance(data, list):
        for model in data:
            ops.update((model.get("operations") or {}) if isinstance(model, dict) else {})
    return ops


def choose_project(commands: list[str]) -> str | None:
    wanted = {op for cmd in commands for op in operations(cmd)}
    if not wanted:
        return None
    for project in sorted(p for p in PROJECTS.iterdir() if p.is_dir()):
        if wanted <= project_ops(project):
            return project.name
    raise AssertionError(f"no sample project defines all of {sorted(wanted)}")


@dataclass
class Reader:
    """One temporary home and the project copies, shared by all blocks."""

    tmp: Path
    home: Path = field(init=False)
    placeholders: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home = self.tmp / "home"
        self.home.mkdir()

    def project(self, name: str) -> Path:
        dest = self.tmp / "projects" / name
        if not dest.exists():
            shutil.copytree(PROJECTS / name, dest)
        return dest

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, GUILDLIKE_HOME=str(self.home), COLUMNS="200", **extra)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        return env

    def shell(self, cmd: str, cwd: Path, **extra: str) -> tuple[int, str]:
        p = subprocess.run(cmd, check=False, shell=True, cwd=cwd, env=self.env(**extra), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        return p.returncode, p.stdout

    def run_ids(self) -> set[str]:
        runs = self.home / "runs"
        return {p.name for p in runs.iterdir() if not p.name.startswith(".")} if runs.is_dir() else set()

    def first_started(self, ids: set[str]) -> str:
        def initialized(rid: str) -> int:
            f = self.home / "runs" / rid / ".guild" / "attrs" / "initialized"
            return int(f.read_text().strip()) if f.exists() else 0

        return min(ids, key=lambda rid: (initialized(rid), rid))

    def make_batch(self) -> str:
        cwd = self.project("batches")
        code, out = self.shell("guildlike run check x=[0,1] -y", cwd, CRASH_ON="1")
        assert code == 1 and "crashed at x=1" in out, out
        code, out = self.shell("guildlike select -Fo check+", cwd)
        assert code == 0, out
        return out.strip()

    def substitute(self, cmd: str) -> str:
        if re.search(r"\bBATCH\b", cmd) and "BATCH" not in self.placeholders:
            self.placeholders["BATCH"] = self.make_batch()
        for name, rid in self.placeholders.items():
            cmd = re.sub(rf"\b{name}\b", rid, cmd)
        return cmd

    def run(self, cmd: str, cwd: Path) -> str | None:
        """Runs one README command; what went wrong, or None."""
        before = self.run_ids()
        code, out = self.shell(self.substitute(cmd), cwd)
        made = self.run_ids() - before
        if operations(cmd) and made:
            self.placeholders["RUN"] = self.first_started(made)
        fails = bool(FAILS.search(cmd))
        if "Traceback (most recent call last)" in out:
            return f"{cmd}\nprinted a traceback:\n{out}"
        if (code != 0) != fails:
            want = "a non-zero exit (its comment says it fails)" if fails else "exit 0"
            return f"{cmd}\nexited {code}, expected {want}:\n{out}"
        return None

    def run_blocks(self, blocks: list[Block]) -> list[str]:
        problems: list[str] = []
        name = "basics"
        for block in blocks:
            name = choose_project(block.commands) or name
            cwd = self.project(name)
            for cmd in block.commands:
                problem = self.run(cmd, cwd)
                if problem:
                    problems.append(f"README.md block at line {block.line} (in samples/projects/{name}):\n$ {problem}")
        return problems
