"""Reading guild.yml and resolving operation specs to ``OpDef``s.

Two formats are read: operation-only (a mapping of op names to op
definitions) and full (a list of ``- model: NAME`` entries with
``operations:``). In the full format ops are named ``model:op`` and ``op``
alone means the default model's op (the one marked ``default: yes``, else
the first).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GuildfileError, GuildlikeError, OpDefError
from ..util import yamlutil
from ..util.files import atomic_write, ensure_dir
from . import execsafe, expand, flags_import
from .flags import coerce
from .opdef import FLAG_TYPES, FlagDef, OpDef

OP_KEYS = {
    "main",
    "exec",
    "description",
    "flags",
    "flags-import",
    "flags-import-skip",
    "flags-dest",
    "label",
    "output-scalars",
    "sourcecode",
    "steps",
    "requires",
    "objective",
    "env",
    "default-max-trials",
    "optimizer",
    "tags",
    "compare",
    "resources",
}
FLAG_KEYS = {
    "default",
    "type",
    "choices",
    "min",
    "max",
    "required",
    "description",
    "arg-name",
    "null-label",
    "env-name",
}
MODEL_KEYS = {"model", "operations", "description", "default", "sourcecode", "extends", "label"}
TOP_KEYS_FULL = {"model", "config", "package"}


@dataclass
class ModelDef:
    name: str
    ops: dict[str, Any]
    default: bool = False
    sourcecode: Any = None


@dataclass
class Guildfile:
    path: Path
    models: list[ModelDef] = field(default_factory=list)

    @property
    def project_dir(self) -> Path:
        return self.path.parent

    def default_model(self) -> ModelDef | None:
        """The model marked default, else the one without a name, else the only one."""
        for m in self.models:
            if m.default:
                return m
        for m in self.models:
            if not m.name:
                return m
        return self.models[0] if len(self.models) == 1 else None

    def op_rows(self) -> list[tuple[str, str]]:
        """(name, description) of each operation, as ``operations`` lists them:
        in the full format sorted by model and operation, else in file order."""
        rows = []
        for m in self.models:
            for name, op in m.ops.items():
                rows.append((f"{m.name}:{name}" if m.name else name, str((op or {}).get("description") or "")))
        return sorted(rows) if all(m.name for m in self.models) else rows

    def op_names(self) -> list[str]:
        names = []
        for m in self.models:
            for op in m.ops:
                names.append(f"{m.name}:{op}" if m.name else op)
        return names


def _err(path: Path, msg: str) -> GuildfileError:
    return GuildfileError(f"error in {path}: {msg}")


def _did_you_mean(key: str, choices: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_keys(path: Path, data: dict[str, Any], allowed: set[str], what: str) -> None:
    for key in data:
        if key not in allowed:
            raise _err(path, f"unknown key '{key}' in {what}{_did_you_mean(str(key), allowed)}")


def _parse(path: Path, text: str, cache_dir: Path | None) -> Any:
    """The YAML document, from a cache keyed by its digest when possible.

    Parsed documents that survive a JSON round trip unchanged are cached
    under the home, so an unchanged guild.yml is read without PyYAML.
    """
    cache_file = None
    if cache_dir is not None:
        # The "v2" key leaves out entries cached before documents were bounded.
        cache_file = cache_dir / (hashlib.sha256(b"v2\0" + text.encode("utf-8")).hexdigest() + ".json")
        try:
            return json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            pass
    try:
        data = yamlutil.load(text) if text.strip() else {}
    except yamlutil.error_type() as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise _err(path, f"invalid YAML{where}: {problem}") from None
    if cache_file is not None:
        try:
            dumped = json.dumps(data)
            if json.loads(dumped) == data:
                ensure_dir(cache_file.parent)
                atomic_write(cache_file, dumped)
        except (TypeError, ValueError, GuildlikeError):
            pass
    return data


def _read(path: Path, cache_dir: Path | None) -> Any:
    """One file's YAML document (each file is cached by its own digest, so a
    change to an included file is seen)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise GuildfileError(f"cannot read {path}: {e.strerror}") from e
    except UnicodeDecodeError:
        raise _err(path, "not UTF-8 text") from None
    return _parse(path, text, cache_dir)


def load(path: Path, cache_dir: Path | None = None) -> Guildfile:
    data = _read(path, cache_dir)
    gf = Guildfile(path)
    if data is None:
        return gf
    if isinstance(data, dict):
        gf.models.append(ModelDef("", _check_ops(path, data, ""), default=True))
    elif isinstance(data, list):
        data = expand.expand(path, data, lambda p: _read(p, cache_dir))
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                raise _err(path, f"item {i + 1} must be a mapping with a 'model' key")
            if "model" not in item:
                if "config" in item or "package" in item:
                    continue
                raise _err(path, f"item {i + 1} must have a 'model' key")
            _check_keys(path, item, MODEL_KEYS, f"model '{item.get('model')}'")
            _check_types(path, item, _MODEL_KEY_TYPES, f"model '{item.get('model')}'")
            name = item.get("model") or ""
            if not isinstance(name, str):
                raise _err(path, f"model name must be a string, got {name!r}")
            ops = item.get("operations") or {}
            if not isinstance(ops, dict):
                raise _err(path, f"operations of model '{name}' must be a mapping")
            gf.models.append(
                ModelDef(
                    name,
                    _check_ops(path, ops, name),
                    default=bool(item.get("default")),
                    sourcecode=item.get("sourcecode"),
                )
            )
    else:
        raise _err(path, "expected a mapping of operations or a list of models")
    return gf


def _check_ops(path: Path, ops: dict[str, Any], model: str) -> dict[str, Any]:
    out = {}
    for name, op in ops.items():
        if not isinstance(name, str):
            raise _err(path, f"operation name must be a string, got {name!r}")
        where = f"operation '{model + ':' if model else ''}{name}'"
        if op is None:
            op = {}
        if not isinstance(op, dict):
            raise _err(path, f"{where} must be a mapping, got {type(op).__name__}")
        _check_keys(path, op, OP_KEYS, where)
        _check_types(path, op, _OP_KEY_TYPES, where)
        _check_resources(path, op.get("resources") or {}, where)
        flags = op.get("flags") or {}
        if not isinstance(flags, dict):
            raise _err(path, f"flags of {where} must be a mapping")
        for fname, fdef in flags.items():
            if not isinstance(fname, str):
                raise _err(path, f"flag name must be a string in {where}, got {fname!r}")
            if isinstance(fdef, dict):
                _check_keys(path, fdef, FLAG_KEYS, f"flag '{fname}' of {where}")
                _check_types(path, fdef, _FLAG_KEY_TYPES, f"flag '{fname}' of {where}")
                ftype = fdef.get("type")
                if ftype is not None and ftype not in FLAG_TYPES:
                    raise _err(
                        path,
                        f"invalid type '{ftype}' for flag '{fname}' of {where}"
                        f"{_did_you_mean(str(ftype), set(FLAG_TYPES))}",
                    )
                env_name = fdef.get("env-name")
                if env_name is not None and not execsafe.ENV_NAME.match(env_name):
                    raise _err(path, f"env-name of flag '{fname}' of {where} must be a variable name, got {env_name!r}")
                if "choices" in fdef and not isinstance(fdef["choices"], list):
                    raise _err(path, f"choices of flag '{fname}' of {where} must be a list")
                _check_flag_values(path, str(fname), fdef, where)
        if "requires" in op and not isinstance(op["requires"], (list, dict, str)):
            raise _err(path, f"requires of {where} must be a list")
        out[name] = op
    return out


_STR = (str,)
_NUM = (int, float)
# What each key may hold (None stands for the key left out).
_OP_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "main": _STR, "exec": _STR, "description": _STR, "label": _STR, "flags": (dict,),
    "flags-import": (bool, str, list), "flags-import-skip": (list,), "flags-dest": _STR,
    # "steps" is checked when the pipeline runs, naming the step at fault,
    # so one bad pipeline does not make the rest of guild.yml unusable.
    "output-scalars": (dict, list, str, bool), "sourcecode": (list, dict, str, bool),
    "requires": (list, dict, str), "objective": (str, dict), "env": (dict,), "default-max-trials": (int,),
    "optimizer": (str, dict), "tags": (list, str), "compare": (list, str), "resources": (dict,),
}
_FLAG_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "type": _STR, "choices": (list,), "min": _NUM, "max": _NUM, "required": (bool,), "description": _STR,
    "arg-name": _STR, "null-label": _STR, "env-name": _STR,
}
_MODEL_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "model": _STR, "operations": (dict,), "description": _STR, "default": (bool,),
    "sourcecode": (list, dict, str, bool), "extends": (str, list), "label": _STR,
}
_TYPE_NAMES = {str: "a string", int: "a number", float: "a number", bool: "yes or no", list: "a list",
               dict: "a mapping"}


def _check_types(path: Path, data: dict[str, Any], types: dict[str, tuple[type, ...]], where: str) -> None:
    for key, allowed in types.items():
        val = data.get(key)
        if val is None:
            continue
        ok = isinstance(val, allowed) and not (isinstance(val, bool) and bool not in allowed)
        if not ok:
            names = sorted({_TYPE_NAMES[t] for t in allowed})
            raise _err(path, f"{key} of {where} must be {' or '.join(names)}, got {val!r}"[:300])


def _check_resources(path: Path, resources: dict[Any, Any], where: str) -> None:
    """``resources:`` maps names (GPU, MEMORY...) to positive amounts."""
    for name, amount in resources.items():
        if not isinstance(name, str) or not name.strip():
            raise _err(path, f"resource names of {where} must be strings, got {name!r}")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
            raise _err(path, f"resource '{name}' of {where} must be a positive number, got {amount!r}")


def _check_flag_values(path: Path, fname: str, fdef: dict[str, Any], where: str) -> None:
    """min and max are numbers with min <= max, and a default has the flag's type."""
    lo, hi = fdef.get("min"), fdef.get("max")
    for key, val in (("min", lo), ("max", hi)):
        if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))):
            raise _err(path, f"{key} of flag '{fname}' of {where} must be a number, got {val!r}")
    if lo is not None and hi is not None and lo > hi:
        raise _err(path, f"flag '{fname}' of {where}: min {lo} is greater than max {hi}")
    ftype, default = fdef.get("type"), fdef.get("default")
    if ftype is not None and default is not None:
        try:
            coerce(FlagDef(name=fname, type=ftype), fname, default)
        except GuildlikeError as e:
            raise _err(path, f"default of flag '{fname}' of {where}: {e.message}") from None


def find_guildfile(project_dir: Path) -> Path | None:
    for name in ("guild.yml", "guild.yaml"):
        p = project_dir / name
        if p.is_file():
            return p
    return None


def _cannot_find(opspec: str) -> OpDefError:
    return OpDefError(
        f"cannot find operation {opspec}",
        [
            "You may need to include a model in the form MODEL:OPERATION. "
            "Try 'guildlike operations' for a list of available operations."
        ],
    )


def _not_defined(opspec: str) -> OpDefError:
    return OpDefError(
        f"operation '{opspec}' is not defined for this project",
        ["Try 'guildlike operations' for a list of available operations."],
    )


def resolve(opspec: str, project_dir: Path, cache_dir: Path | None = None) -> OpDef:
    """The ``OpDef`` for ``opspec`` in the project at ``project_dir``."""
    if opspec.endswith(".py") or ("/" in opspec and (project_dir / opspec).is_file()):
        return script_opdef(opspec, project_dir, cache_dir)
    gf_path = find_guildfile(project_dir)
    if gf_path is None:
        raise _cannot_find(opspec)
    gf = load(gf_path, cache_dir.parent / "guildfile" if cache_dir is not None else None)
    model_name, _, op_name = opspec.rpartition(":")
    if ":" in opspec:
        model = next((m for m in gf.models if m.name == model_name), None)
    else:
        model = gf.default_model()
        if model is None and gf.models:
            raise _cannot_find(opspec)
    if model is None or op_name not in model.ops:
        raise _not_defined(opspec)
    return build_opdef(gf, model, op_name, cache_dir)


def script_opdef(script: str, project_dir: Path, cache_dir: Path | None = None) -> OpDef:
    path = project_dir / script
    if not path.is_file():
        raise OpDefError(f"cannot find operation {script}", [f"No such file: {path}"])
    try:
        dest, flags = flags_import.inspect_script(path, cache_dir)
    except SyntaxError as e:
        raise OpDefError(f"cannot import flags from {script}: syntax error on line {e.lineno}") from None
    return OpDef(
        name=script,
        project_dir=str(project_dir),
        main=script,
        flags=flags,
        flags_dest=dest,
        script=script,
    )


def _flag_def(name: str, fdef: Any) -> FlagDef:
    if not isinstance(fdef, dict):
        return FlagDef(name=name, default=fdef)
    return FlagDef(
        name=name,
        default=fdef.get("default"),
        type=fdef.get("type"),
        choices=fdef.get("choices"),
        min=fdef.get("min"),
        max=fdef.get("max"),
        required=bool(fdef.get("required")),
        description=str(fdef.get("description") or ""),
        arg_name=fdef.get("arg-name"),
        env_name=fdef.get("env-name"),
    )


def main_module(main: str) -> tuple[str, list[str]]:
    try:
        parts = shlex.split(main)
    except ValueError as e:
        raise OpDefError(f"invalid main {main!r}: {e}") from None
    if not parts:
        raise OpDefError("empty main")
    return parts[0], parts[1:]


def module_path(project_dir: Path, module: str) -> Path:
    if module.endswith(".py"):
        return project_dir / module
    return project_dir / (module.replace(".", "/") + ".py")


def _compare_list(spec: Any) -> list[str] | None:
    """``compare:`` as a list of column specs (a string is one list of comma-separated specs)."""
    if spec is None:
        return None
    return [spec] if isinstance(spec, str) else [str(s) for s in spec]


def build_opdef(gf: Guildfile, model: ModelDef, op_name: str, cache_dir: Path | None = None) -> OpDef:
    data = model.ops[op_name]
    opdef = OpDef(
        name=op_name,
        model=model.name,
        guildfile=str(gf.path),
        project_dir=str(gf.project_dir),
        main=data.get("main"),
        exec=data.get("exec"),
        description=data.get("description") or "",
        label=data.get("label"),
        output_scalars=data.get("output-scalars"),
        sourcecode=data.get("sourcecode", model.sourcecode),
        steps=data.get("steps"),
        requires=_requires_list(data.get("requires")),
        objective=data.get("objective"),
        env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
        compare=_compare_list(data.get("compare")),
        resources={str(k): float(v) for k, v in (data.get("resources") or {}).items()},
    )
    if opdef.main is None and opdef.exec is None and opdef.steps is None:
        opdef.main = op_name
    if opdef.main:
        _import_flags(gf, opdef, data, cache_dir)
    for fname, fdef in (data.get("flags") or {}).items():
        fd = _flag_def(str(fname), fdef)
        imported = opdef.flags.get(fd.name)
        if imported is not None:
            if not isinstance(fdef, dict) or "default" not in fdef:
                fd.default = fdef if not isinstance(fdef, dict) else imported.default
            if fd.type is None and imported.type is None:
                fd.imported = True
            fd.type = fd.type or imported.type
            fd.arg_name = fd.arg_name or imported.arg_name
        opdef.flags[fd.name] = fd
    if data.get("flags-dest"):
        opdef.flags_dest = str(data["flags-dest"])
    check_exec(opdef)
    return opdef


def check_exec(opdef: OpDef) -> None:
    """Refuse an exec that would run a flag value as code (see ``execsafe``)."""
    if not opdef.exec:
        return
    try:
        argv = shlex.split(opdef.exec)
    except ValueError:
        return  # reported when the op is run
    env_names = {n: fd.env_name for n, fd in opdef.flags.items() if fd.env_name}
    execsafe.check_exec(argv, opdef.flags, env_names, f"operation {opdef.full_name}")


def _requires_list(req: Any) -> list[Any]:
    if req is None:
        return []
    if isinstance(req, (dict, str)):
        return [req]
    return list(req)


def _import_flags(gf: Guildfile, opdef: OpDef, data: dict[str, Any], cache_dir: Path | None) -> None:
    module, _ = main_module(opdef.main or "")
    path = module_path(gf.project_dir, module)
    if not path.is_file():
        return  # reported when the op is run
    try:
        dest, flags = flags_import.inspect_script(path, cache_dir)
    except SyntaxError as e:
        raise OpDefError(f"cannot import flags from {path.name}: syntax error on line {e.lineno}") from None
    opdef.flags_dest = dest
    spec = data.get("flags-import")
    skip = set(data.get("flags-import-skip") or [])
    if spec in (True, "all", "yes"):
        wanted = set(flags)
    elif isinstance(spec, list):
        wanted = {str(n) for n in spec}
    else:
        wanted = set()
    for name in sorted(wanted - skip):
        if name in flags:
            opdef.flags[name] = flags[name]
