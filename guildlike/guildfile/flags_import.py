"""Import flags from a Python script without running it.

Module-level assignments of literal values (``x = 0``, ``noise = 0.1``,
``fail = True``) become flags delivered as globals; ``argparse`` arguments
(``parser.add_argument('--lr', default=0.1, type=float)``) become flags
delivered as ``--name value`` arguments. Results are cached by the script's
digest under the home, so an unchanged script is parsed once.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

from ..util.files import atomic_write, ensure_dir
from .opdef import FlagDef

_TYPES = {"int": "int", "float": "float", "str": "string", "bool": "boolean"}


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        val = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None
    if isinstance(val, (bool, int, float, str)) or val is None:
        return True, val
    return False, None


def _uses_argparse(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "argparse":
            return True
    return False


def _argparse_flags(tree: ast.Module) -> dict[str, FlagDef]:
    flags: dict[str, FlagDef] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
            and node.args
        ):
            continue
        # The first long option names the flag: add_argument("-l", "--lr").
        opt = None
        for arg in node.args:
            ok, val = _literal(arg)
            if ok and isinstance(val, str) and val.startswith("--") and len(val) > 2:
                opt = val
                break
        if opt is None:
            continue
        name = opt[2:]
        fd = FlagDef(name=name, imported=True, arg_name=opt[2:])
        for kw in node.keywords:
            if kw.arg == "default":
                ok, val = _literal(kw.value)
                if ok:
                    fd.default = val
            elif kw.arg == "type" and isinstance(kw.value, ast.Name):
                fd.type = _TYPES.get(kw.value.id)
            elif kw.arg == "help":
                ok, val = _literal(kw.value)
                if ok and isinstance(val, str):
                    fd.description = val
            elif kw.arg == "choices":
                try:
                    fd.choices = list(ast.literal_eval(kw.value))
                except Exception:
                    pass
            elif kw.arg == "required":
                ok, val = _literal(kw.value)
                fd.required = bool(ok and val)
            elif kw.arg == "action":
                ok, val = _literal(kw.value)
                if ok and val in ("store_true", "store_false"):
                    fd.type = "boolean"
                    fd.arg_switch = val == "store_true"
                    if fd.default is None:
                        fd.default = val == "store_false"
        flags[name] = fd
    return flags


def _global_flags(tree: ast.Module) -> dict[str, FlagDef]:
    flags: dict[str, FlagDef] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id.startswith("_"):
            continue
        ok, val = _literal(value)
        if ok and val is not None:
            flags[target.id] = FlagDef(name=target.id, default=val, imported=True)
    return flags


def inspect_source(source: str) -> tuple[str, dict[str, FlagDef]]:
    """(flags_dest, flags) for a script's source text."""
    tree = ast.parse(source)
    if _uses_argparse(tree):
        return "args", _argparse_flags(tree)
    return "globals", _global_flags(tree)


def inspect_script(path: Path, cache_dir: Path | None = None) -> tuple[str, dict[str, FlagDef]]:
    data = path.read_bytes()
    cache_file = None
    if cache_dir is not None:
        digest = hashlib.sha256(data).hexdigest()
        cache_file = cache_dir / f"{digest}.json"
        try:
            cached = json.loads(cache_file.read_text())
            return cached["dest"], {f["name"]: FlagDef.from_data(f) for f in cached["flags"]}
        except (OSError, ValueError, KeyError, TypeError):
            pass
    dest, flags = inspect_source(data.decode("utf-8", errors="replace"))
    if cache_file is not None:
        try:
            ensure_dir(cache_file.parent)
            atomic_write(cache_file, json.dumps({"dest": dest, "flags": [f.to_data() for f in flags.values()]}))
        except Exception:
            pass
    return dest, flags
