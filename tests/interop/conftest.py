"""Interop tests against the real Guild AI 0.9.0.

Guild is found through ``$GUILD_BIN`` or ``guild`` on PATH (``.ci/run``
installs it into a virtual environment of its own); without it every test
here is skipped, with the reason. Each test works in a Guild home of its
own: the runs made once per module are copied into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TRAIN = '''x = 1
lr = 0.1
print("loss: %s" % round(x * lr, 6))
open("out.txt", "w").write("x=%s" % x)
'''

GUILD_YML = '''prep:
  main: train
  flags:
    x: 2
fit:
  main: train
  flags:
    lr: 0.5
pipe:
  steps:
    - prep
    - fit lr=0.2
'''


def guild_bin() -> str | None:
    found = os.environ.get("GUILD_BIN") or shutil.which("guild")
    return found if found and os.access(found, os.X_OK) else None


def _skip_reason() -> str:
    why = "Guild AI not found: set GUILD_BIN or put guild on PATH (.ci/run installs guildai 0.9.0 in a venv)"
    failed = os.environ.get("GUILD_INSTALL_ERROR")
    return f"{why}; its install failed: {failed}" if failed else why


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.interop)
            if guild_bin() is None:
                item.add_marker(pytest.mark.skip(reason=_skip_reason()))


@dataclass
class Res:
    rc: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.rc}\n--- stdout\n{self.out}--- stderr\n{self.err}"


@dataclass
class Homes:
    """A project and a home both tools use (GUILD_HOME and GUILDLIKE_HOME are the same folder)."""

    project: Path
    home: Path

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GUILD", "VIRTUAL_ENV"))}
        env.update(GUILD_HOME=str(self.home), GUILDLIKE_HOME=str(self.home), NO_COLOR="1", COLUMNS="200")
        return env

    def _call(self, argv: list[str], cwd: Path | None) -> Res:
        p = subprocess.run(argv, cwd=cwd or self.project, env=self._env(), capture_output=True, text=True,
                           timeout=120, check=False)
        return Res(p.returncode, p.stdout, p.stderr)

    def guild(self, *args: str, cwd: Path | None = None) -> Res:
        return self._call([guild_bin() or "guild", *args], cwd)

    def gl(self, *args: str, cwd: Path | None = None) -> Res:
        return self._call([sys.executable, "-m", "guildlike", *args], cwd)

    def ok_guild(self, *args: str) -> Res:
        res = self.guild(*args)
        assert res.rc == 0, f"guild {' '.join(args)}: {res}"
        return res

    def ok_gl(self, *args: str) -> Res:
        res = self.gl(*args)
        assert res.rc == 0, f"guildlike {' '.join(args)}: {res}"
        return res

    def ids(self) -> dict[str, str]:
        """Operation name -> run id (the newest run of each), from guildlike's list."""
        out: dict[str, str] = {}
        for line in reversed(self.ok_gl("runs", "-a").out.splitlines()):
            # By index: a short id made only of digits would be read as an index.
            index, op = line.split(":")[0].lstrip("["), line.split()[1]
            full = self.ok_gl("select", index).out.strip()
            out[op] = full
        return out

    def copy(self, dest: Path) -> Homes:
        shutil.copytree(self.home, dest, symlinks=True)
        return Homes(self.project, dest)


def _project(base: Path) -> Path:
    project = base / "proj"
    project.mkdir()
    (project / "train.py").write_text(TRAIN)
    (project / "guild.yml").write_text(GUILD_YML)
    return project


def _made_by(tool: str, base: Path) -> Homes:
    homes = Homes(_project(base), base / "home")
    homes.home.mkdir()
    run = homes.ok_guild if tool == "guild" else homes.ok_gl
    run("run", "train.py", "x=3", "-y")
    run("run", "pipe", "-y")
    return homes


@pytest.fixture(scope="module")
def guild_made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homes]:
    """A script run and a pipeline (two step runs) made by Guild."""
    yield _made_by("guild", tmp_path_factory.mktemp("guild-made"))


@pytest.fixture(scope="module")
def gl_made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homes]:
    """A script run and a pipeline (two step runs) made by guildlike."""
    yield _made_by("guildlike", tmp_path_factory.mktemp("gl-made"))
