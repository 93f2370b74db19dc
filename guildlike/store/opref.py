"""The ``.guild/opref`` file: where a run's operation came from.

Format (Guild's): ``TYPE:PATH VERSION MODEL OP`` with shell-style quoting,
for example ``guildfile:/p/guild.yml 4d6d... '' train``.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..util.files import atomic_write


@dataclass(frozen=True)
class OpRef:
    pkg_type: str  # "guildfile", "script", "pipeline", "batch"
    pkg_path: str  # the guild.yml or script path
    version: str
    model: str
    op: str

    @property
    def op_name(self) -> str:
        return f"{self.model}:{self.op}" if self.model else self.op

    @property
    def project_dir(self) -> str:
        """The project folder: the guild.yml's folder, or the script's (no disk access)."""
        p = self.pkg_path
        if not p:
            return p
        if self.pkg_type == "guildfile" or p.endswith(".py"):
            return os.path.dirname(p)
        return p

    def encode(self) -> str:
        return " ".join(
            [
                f"{self.pkg_type}:{shlex.quote(self.pkg_path) if self.pkg_path else ''}",
                shlex.quote(self.version),
                shlex.quote(self.model),
                shlex.quote(self.op),
            ]
        )

    @classmethod
    def decode(cls, text: str) -> OpRef:
        text = text.strip()
        kind, _, rest = text.partition(":")
        try:
            parts = shlex.split(rest)
        except ValueError:
            parts = rest.split()
        while len(parts) < 4:
            parts.append("")
        path, version, model, op = parts[0], parts[1], parts[2], " ".join(parts[3:])
        return cls(kind, path, version, model, op)


def read(run_dir: Path) -> OpRef | None:
    try:
        return OpRef.decode((run_dir / ".guild" / "opref").read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None


def write(run_dir: Path, ref: OpRef) -> None:
    atomic_write(run_dir / ".guild" / "opref", ref.encode() + "\n")
