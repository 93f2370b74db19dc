"""A home of real runs for the view's tests, and a real view server over it.

The runs come from the sample projects, run by the ``guildlike`` command:
two runs of ``fit`` with scalars, a grid batch of ``fit`` (two trials), the
pipeline ``pipe`` (fit then odd), ``steps-restart`` (a pipeline whose second
step fails) and ``train`` requiring a ``prep`` run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from guildlike.context import Context
from guildlike.store.run import Run
from guildlike.view import server as server_mod

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "projects"


def guildlike(home: Path, cwd: Path, *args: str) -> str:
    env = dict(os.environ, GUILDLIKE_HOME=str(home), NO_COLOR="1")
    p = subprocess.run([sys.executable, "-m", "guildlike", *args], cwd=cwd, env=env, capture_output=True, text=True)
    return p.stdout


def make_home(root: Path) -> dict[str, list[str]]:
    """Run the sample operations into ``root/home``; run ids by operation, oldest first."""
    home = root / "home"
    projects = {}
    for name in ("scalars", "steps-restart", "requires"):
        projects[name] = root / name
        shutil.copytree(SAMPLES / name, projects[name])
    guildlike(home, projects["scalars"], "run", "fit", "lr=0.1", "-y")
    guildlike(home, projects["scalars"], "run", "fit", "lr=0.5", "epochs=3", "-l", "wide", "-y")
    guildlike(home, projects["scalars"], "run", "fit", "lr=[0.2,0.3]", "--keep-batch", "-y")
    guildlike(home, projects["scalars"], "run", "pipe", "-y")
    guildlike(home, projects["steps-restart"], "run", "steps-restart", "-y")
    guildlike(home, projects["requires"], "run", "prep", "-y")
    guildlike(home, projects["requires"], "run", "train", "-y")
    found = []
    for rid in os.listdir(home / "runs"):
        run = Run(rid, home / "runs" / rid)
        found.append((run.get("initialized"), run.op_name, rid))
    ids: dict[str, list[str]] = {}
    for _, name, rid in sorted(found):
        ids.setdefault(name, []).append(rid)
    return ids


@contextmanager
def serving(home: Path, host: str = "127.0.0.1", ctx: Context | None = None) -> Iterator[str]:
    """A view server on a free port of ``host`` in a thread; its base URL."""
    ctx = ctx or Context(home=home, cwd=home.parent, env={"GUILDLIKE_HOME": str(home)})
    server = server_mod.make_server(ctx, host, 0)
    thread = threading.Thread(target=server_mod.serve, args=(server,), daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        thread.join(10)


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def get_json(url: str, status: int = 200) -> Any:
    code, kind, body = fetch(url)
    assert kind == "application/json", (url, kind, body[:200])
    assert code == status, (url, code, body[:300])
    return json.loads(body)
