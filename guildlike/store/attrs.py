"""Run attributes: one YAML file per attribute under ``.guild/attrs``.

This is Guild AI's layout, so existing Guild runs can be read. Every write is
atomic (temp file + rename).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import RunStoreError
from ..util import yamlutil
from ..util.files import atomic_write


class CorruptAttr(RunStoreError):
    """An attribute file exists but cannot be parsed."""


def attrs_dir(run_dir: Path) -> Path:
    return run_dir / ".guild" / "attrs"


def encode(value: Any) -> str:
    if isinstance(value, bool):
        return "true\n" if value else "false\n"
    if isinstance(value, int):
        return f"{value}\n"
    text = yamlutil.dump(value)
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text


def decode(text: str, path: Path | None = None) -> Any:
    try:
        return yamlutil.load(text)
    except Exception as e:
        raise CorruptAttr(f"corrupt attribute file {path}: {str(e).splitlines()[0]}") from e


def valid_name(name: str) -> bool:
    """An attribute is a plain file name in ``.guild/attrs``: a name that would
    reach outside it (``../opref``, ``/etc/passwd``) names no attribute."""
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name and "\0" not in name


def read(run_dir: Path, name: str, default: Any = None) -> Any:
    if not valid_name(name):
        return default
    path = attrs_dir(run_dir) / name
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return default
    except UnicodeDecodeError as e:
        raise CorruptAttr(f"corrupt attribute file {path}: not UTF-8 text") from e
    except OSError as e:
        raise RunStoreError(f"cannot read attribute file {path}: {e.strerror or e}") from e
    return decode(text, path)


def write(run_dir: Path, name: str, value: Any) -> None:
    if not valid_name(name):
        raise RunStoreError(f"invalid attribute name {name!r}")
    atomic_write(attrs_dir(run_dir) / name, encode(value))
    if _FAULT_ENV in os.environ and os.environ[_FAULT_ENV] == name:
        _fault_kill()


# Fault injection for the reliability tests: with GUILDLIKE_FAULT_KILL_AFTER_ATTR=NAME
# the process kills itself (SIGKILL) right after writing attribute NAME.
_FAULT_ENV = "GUILDLIKE_FAULT_KILL_AFTER_ATTR"


def _fault_kill() -> None:
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def delete(run_dir: Path, name: str) -> None:
    try:
        os.unlink(attrs_dir(run_dir) / name)
    except FileNotFoundError:
        pass


def names(run_dir: Path) -> list[str]:
    try:
        return sorted(n for n in os.listdir(attrs_dir(run_dir)) if not n.startswith("."))
    except FileNotFoundError:
        return []
