"""Run attributes: one YAML file per attribute under ``.guild/attrs``.

This is Guild AI's layout, so Guild runs can be read and Guild reads
guildlike's. Attributes only guildlike uses (its operation record, attempts,
...) are stored under a name starting with ``_``, which Guild treats as
private: it neither shows nor reads them. The ``op`` file holds Guild's
operation config (``GUILD_OP``), which Guild needs to restart a run. Runs
written before keep their attributes under the plain names; those are read
when the private file is absent. Every write is atomic (temp file + rename).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import CorruptAttr, RunStoreError
from ..util import yamlutil
from ..util.files import atomic_write
from . import journal

OWN = frozenset({"op", "attempts", "sourcecode", "trials", "structure", "parent", "label_template"})
GUILD_OP = "guild_op"  # Guild's operation config: the ``op`` file


def attrs_dir(run_dir: Path) -> Path:
    return run_dir / ".guild" / "attrs"


def file_name(name: str) -> str:
    """The file in ``.guild/attrs`` that holds attribute ``name``."""
    if name in OWN:
        return "_" + name
    return "op" if name == GUILD_OP else name


def encode(value: Any) -> str:
    """An attribute as YAML in flow style that is also JSON where it can be.

    Guild (and any YAML reader) reads it; guildlike reads it back with the
    standard library's JSON parser, so neither writing nor reading our own
    runs needs to import PyYAML. Floats use YAML's spelling (``1.0e-06``,
    ``.inf``) so that YAML 1.1 readers see floats.
    """
    return _flow(value) + "\n"


def _flow(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return yamlutil.format_float(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: str(kv[0]))
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_flow(x)}" for k, x in items) + "}"
    return json.dumps(str(v), ensure_ascii=False)


def decode(text: str, path: Path | None = None) -> Any:
    """JSON first (what guildlike writes), YAML for everything else (Guild's files)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
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
    value = _read_file(attrs_dir(run_dir) / file_name(name), _MISSING)
    if value is _MISSING and name in OWN:
        value = _read_file(attrs_dir(run_dir) / name, _MISSING)  # as written before, or by Guild
        if name == "op" and not (isinstance(value, dict) and "name" in value):
            value = _MISSING  # Guild's operation config, not guildlike's record
    return default if value is _MISSING else value


_MISSING = object()


def _read_file(path: Path, default: Any) -> Any:
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
    atomic_write(attrs_dir(run_dir) / file_name(name), encode(value))
    journal.note(run_dir)
    if _FAULT_ENV in os.environ and os.environ[_FAULT_ENV] == name:
        _fault_kill()


# Fault injection for the reliability tests: with GUILDLIKE_FAULT_KILL_AFTER_ATTR=NAME
# the process kills itself (SIGKILL) right after writing attribute NAME.
_FAULT_ENV = "GUILDLIKE_FAULT_KILL_AFTER_ATTR"


def _fault_kill() -> None:
    import signal  # lazy: start-up speed; only the tests' fault injection needs it

    os.kill(os.getpid(), signal.SIGKILL)


def delete(run_dir: Path, name: str) -> None:
    try:
        os.unlink(attrs_dir(run_dir) / file_name(name))
    except FileNotFoundError:
        return
    journal.note(run_dir)


def names(run_dir: Path) -> list[str]:
    """The attributes a run has, by the names ``read`` takes (``attempts``, not ``_attempts``)."""
    try:
        files = {n for n in os.listdir(attrs_dir(run_dir)) if not n.startswith(".")}
    except FileNotFoundError:
        return []
    out = set()
    for f in files:
        if f.startswith("_") and f[1:] in OWN:
            out.add(f[1:])
        elif f == "op":
            out.add(GUILD_OP)
            if "_op" not in files:
                out.add("op")  # guildlike's record as written before (read only when it is one)
        else:
            out.add(f)
    return sorted(out)
