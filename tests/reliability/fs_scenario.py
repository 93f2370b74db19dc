"""Full disk and read-only home, run inside a private mount namespace.

test_disk.py starts this as

    unshare -rm sh -c 'mount -t tmpfs -o size=SIZE tmpfs HOME && exec python fs_scenario.py HOME PROJECT OUT'

so HOME is a tiny file system only this process tree sees. It makes a few
runs, then fills the disk, lets a run fill it, and remounts the home
read-only, running guildlike at each stage. What each command printed and
how it exited goes to OUT (JSON) for the test to judge.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def gl(home: Path, project: Path, *args: str) -> dict[str, Any]:
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    p = subprocess.run(
        [sys.executable, "-m", "guildlike", *args], cwd=str(project), env=env, capture_output=True, text=True
    )
    return {"args": list(args), "rc": p.returncode, "out": p.stdout, "err": p.stderr}


def tree_digest(runs_dir: Path, ids: list[str]) -> dict[str, str]:
    """Each file (and link) of the given runs -> a digest of its content."""
    out = {}
    for rid in ids:
        for dirpath, dirnames, filenames in os.walk(runs_dir / rid):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                rel = str(p.relative_to(runs_dir))
                if p.is_symlink():
                    out[rel] = "link:" + os.readlink(p)
                elif p.is_file():
                    out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def fill(path: Path) -> int:
    """Write to ``path`` until the file system is full; the bytes written."""
    n = 0
    block = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(block)
            except OSError as e:
                if e.errno in (errno.ENOSPC, errno.EDQUOT):
                    break
                raise
            n += len(block)
    return n


def main(home: Path, project: Path, out_path: Path) -> None:
    res: dict[str, Any] = {}
    res["setup"] = [
        gl(home, project, "run", "-y", "quick", "msg=kept"),
        gl(home, project, "run", "-y", "pipe", "seconds=0"),
    ]
    runs_dir = home / "runs"
    ids = sorted(n for n in os.listdir(runs_dir) if not n.startswith("."))
    res["ids"] = ids
    res["baseline"] = gl(home, project, "runs", "-a")
    digest = tree_digest(runs_dir, ids)

    # A full disk.
    filler = home / "filler"
    res["filled"] = fill(filler)
    res["full"] = [
        gl(home, project, "run", "-y", "quick", "msg=new"),
        gl(home, project, "run", "-y", "pipe", "seconds=0"),
        gl(home, project, "run", "--restart", ids[0], "-y"),
        gl(home, project, "label", "--set", "x", ids[0], "-y"),
    ]
    res["full_list"] = gl(home, project, "runs", "-a")
    res["full_intact"] = tree_digest(runs_dir, ids) == digest
    os.unlink(filler)

    # A disk that fills while a run writes its output.
    res["filling"] = gl(home, project, "run", "-y", "spew", "kb=100000")
    res["filling_list"] = gl(home, project, "runs", "-a")
    res["filling_intact"] = tree_digest(runs_dir, ids) == digest
    res["leftovers"] = sorted(n for n in os.listdir(runs_dir) if n.startswith("."))

    # A read-only home.
    ro = subprocess.run(["mount", "-o", "remount,ro", str(home)], capture_output=True, text=True)
    res["remount"] = {"rc": ro.returncode, "err": ro.stderr}
    res["ro"] = [
        gl(home, project, "run", "-y", "quick", "msg=new"),
        gl(home, project, "run", "-y", "pipe", "seconds=0"),
        gl(home, project, "run", "--restart", ids[0], "-y"),
        gl(home, project, "label", "--set", "x", ids[0], "-y"),
        gl(home, project, "runs", "delete", ids[0], "-y"),
        gl(home, project, "import", "-y", str(project / "no-such.zip")),
    ]
    res["ro_list"] = gl(home, project, "runs", "-a")
    res["ro_info"] = gl(home, project, "runs", "info", ids[0])
    res["ro_check"] = gl(home, project, "check")
    res["ro_intact"] = tree_digest(runs_dir, ids) == digest
    out_path.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
