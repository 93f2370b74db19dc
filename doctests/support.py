"""Globals available to the Markdown specs in ``doctests/``.

``run(cmd)`` runs a shell command line, prints its output (stderr merged,
stripped) and then ``<exit N>`` when N is not 0. ``run_capture(cmd)`` returns
the output and raises on a non-zero exit. ``use_project(name)`` changes into
``samples/projects/NAME`` (or an absolute path) with a fresh, empty home.
"""

from __future__ import annotations

import doctest
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


class SpecOutputChecker(doctest.OutputChecker):
    """Adds ``???`` lines, which match any number of lines."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        if "???" not in want.splitlines() and "???\n" not in want:
            return False
        return _match_wild(want.splitlines(), got.splitlines(), optionflags, self)


def _match_wild(want: list[str], got: list[str], flags: int, checker: doctest.OutputChecker) -> bool:
    parts: list[list[str]] = [[]]
    for line in want:
        if line.strip() == "???":
            parts.append([])
        else:
            parts[-1].append(line)
    base = doctest.OutputChecker()

    def match_at(seg: list[str], start: int) -> int:
        """Smallest end index such that got[start:end] matches seg, or -1."""
        for end in range(start, len(got) + 1):
            if base.check_output("\n".join(seg) + "\n" if seg else "", "\n".join(got[start:end]) + "\n" if end > start else "", flags):
                return end
        return -1

    pos = 0
    first, rest = parts[0], parts[1:]
    if first:
        end = match_at(first, 0)
        if end < 0:
            return False
        pos = end
    for i, seg in enumerate(rest):
        if not seg:
            if i == len(rest) - 1:
                return True
            continue
        last = i == len(rest) - 1
        found = False
        for start in range(pos, len(got) + 1):
            end = match_at(seg, start)
            if end >= 0 and (not last or end == len(got)):
                pos = end
                found = True
                break
        if not found:
            return False
    return pos == len(got) or not rest


class SpecEnv:
    def __init__(self, spec_path: Path) -> None:
        self.spec_path = spec_path
        self._tmp = Path(tempfile.mkdtemp(prefix="guildlike-spec-"))
        self._old_cwd = os.getcwd()
        self._homes = 0
        self.cwd = self._tmp
        self.home = self._new_home()

    def _new_home(self) -> Path:
        self._homes += 1
        home = self._tmp / f"home-{self._homes}"
        home.mkdir()
        return home

    def close(self) -> None:
        os.chdir(self._old_cwd)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["GUILDLIKE_HOME"] = str(self.home)
        env["COLUMNS"] = "200"
        env.pop("PYTHONWARNINGS", None)
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        return env

    def _exec(self, cmd: str, timeout: float = 600) -> tuple[str, int]:
        p = subprocess.run(
            cmd,
            shell=True,
            cwd=str(self.cwd),
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
        return p.stdout.decode("utf-8", errors="replace").strip(), p.returncode

    def globals(self) -> dict[str, Any]:
        env = self

        def run(cmd: str, timeout: float = 600) -> None:
            out, code = env._exec(cmd, timeout)
            if out:
                print(out)
            if code != 0:
                print(f"<exit {code}>")

        def run_capture(cmd: str) -> str:
            out, code = env._exec(cmd)
            if code != 0:
                raise RuntimeError(f"{cmd!r} exited {code}:\n{out}")
            return out

        def use_project(name: str) -> None:
            p = Path(name) if os.path.isabs(name) else SAMPLES / "projects" / name
            if not p.is_dir():
                raise ValueError(f"no such project {p}")
            env.cwd = p
            os.chdir(p)
            env.home = env._new_home()

        def cd(p: str) -> None:
            env.cwd = (env.cwd / p).resolve()
            os.chdir(env.cwd)

        def sample(*parts: str) -> str:
            return str(SAMPLES.joinpath(*parts))

        def guild_home() -> str:
            return str(env.home)

        def path(*parts: str) -> str:
            return os.path.join(*parts)

        def listdir(p: str) -> list[str]:
            return sorted(os.listdir(p))

        def write(p: str, text: str, append: bool = False) -> None:
            full = env.cwd / p
            with open(full, "a" if append else "w") as f:
                f.write(text)

        def cat(p: str) -> None:
            print((env.cwd / p).read_text(), end="")

        def rm(p: str) -> None:
            os.unlink(env.cwd / p)

        def rmdir(p: str) -> None:
            shutil.rmtree(env.cwd / p)

        def mkdtemp() -> str:
            return tempfile.mkdtemp(prefix="tmp-", dir=env._tmp)

        def copytree(src: str, dest: str) -> None:
            shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)

        def touch(p: str) -> None:
            (env.cwd / p).touch()

        return {
            "run": run,
            "run_capture": run_capture,
            "use_project": use_project,
            "cd": cd,
            "sample": sample,
            "guild_home": guild_home,
            "path": path,
            "dir": listdir,
            "write": write,
            "cat": cat,
            "rm": rm,
            "rmdir": rmdir,
            "mkdtemp": mkdtemp,
            "copytree": copytree,
            "realpath": os.path.realpath,
            "islink": os.path.islink,
            "exists": lambda p: os.path.exists(env.cwd / p),
            "isdir": lambda p: os.path.isdir(env.cwd / p),
            "touch": touch,
            "sleep": time.sleep,
        }
