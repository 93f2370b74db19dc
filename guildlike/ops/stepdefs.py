"""A pipeline's step list (``steps:``): parsed, substituted and checked.

Running the steps is ``pipeline``'s job; this module only reads them.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..context import Context
from ..errors import GuildfileError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..util.yamlutil import encode_value
from .opdefs import project_dir_for, resolve_opdef

STEP_KEYS = {
    "run",
    "name",
    "flags",
    "needed",
    "force-sourcecode",
    "max-trials",
    "optimizer",
    "label",
    "tags",
    "random-seed",
    "fail-on-trial-error",
}
_VALUE_OPTS = {"--max-trials": "max_trials", "-m": "max_trials", "--optimizer": "optimizer", "-o": "optimizer",
               "--label": "label", "-l": "label", "--tag": "tags", "-t": "tags", "--random-seed": "random_seed"}
_BOOL_OPTS = {"--needed": "needed", "--force-sourcecode": "force_sourcecode",
              "--fail-on-trial-error": "fail_on_trial_error"}


@dataclass
class Step:
    index: int
    name: str  # shown in log lines
    link_name: str  # name of the link in the pipeline run dir
    opspec: str  # the op as written
    flag_items: list[tuple[str, Any]] = field(default_factory=list)  # raw (unsubstituted) values
    options: dict[str, Any] = field(default_factory=dict)


def _step_error(i: int, msg: str, pipeline: str = "") -> GuildfileError:
    where = f" of {pipeline}" if pipeline else ""
    return GuildfileError(f"invalid step {i + 1}{where}: {msg}")


def _parse_tokens(i: int, tokens: list[str]) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    flags: list[tuple[str, Any]] = []
    options: dict[str, Any] = {}
    it = iter(tokens)
    for tok in it:
        if tok in _BOOL_OPTS:
            options[_BOOL_OPTS[tok]] = True
        elif tok in _VALUE_OPTS:
            try:
                val = next(it)
            except StopIteration:
                raise _step_error(i, f"option {tok} needs a value") from None
            key = _VALUE_OPTS[tok]
            if key == "tags":
                options.setdefault("tags", []).append(val)
            else:
                options[key] = val
        elif tok.startswith("-"):
            raise _step_error(i, f"unsupported option '{tok}'")
        elif "=" in tok and tok.split("=", 1)[0]:
            name, val = tok.split("=", 1)
            flags.append((name, val))
        else:
            raise _step_error(i, f"invalid argument '{tok}': expected NAME=VAL")
    return flags, options


def parse_steps(opdef: OpDef) -> list[Step]:
    try:
        return _parse_steps(opdef)
    except GuildfileError as e:
        if e.message.startswith("invalid step ") and " of " not in e.message.split(":")[0]:
            head, _, rest = e.message.partition(":")
            raise GuildfileError(f"{head} of {opdef.full_name}:{rest}") from None
        raise


def _parse_steps(opdef: OpDef) -> list[Step]:
    raw = opdef.steps
    if not isinstance(raw, list):
        raise GuildfileError(f"steps of {opdef.full_name} must be a list")
    steps: list[Step] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            step = _string_step(i, item)
        elif isinstance(item, dict):
            step = _mapping_step(i, item)
        else:
            raise _step_error(i, f"expected a string or a mapping, got {type(item).__name__}")
        steps.append(step)
    _name_links(steps)
    return steps


def _split(i: int, text: str) -> list[str]:
    try:
        tokens = shlex.split(text)
    except ValueError as e:
        raise _step_error(i, str(e)) from None
    if not tokens:
        raise _step_error(i, "empty step")
    return tokens


def _string_step(i: int, item: str) -> Step:
    tokens = _split(i, item)
    flag_items, options = _parse_tokens(i, tokens[1:])
    return Step(i, tokens[0], "", tokens[0], flag_items, options)


def _mapping_step(i: int, item: dict[str, Any]) -> Step:
    unknown = set(item) - STEP_KEYS
    if unknown:
        key = sorted(unknown)[0]
        close = difflib.get_close_matches(key, sorted(STEP_KEYS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise _step_error(i, f"unknown key '{key}'{hint}")
    run_spec = item.get("run")
    if not isinstance(run_spec, str) or not run_spec.strip():
        raise _step_error(i, "'run' must name an operation")
    tokens = _split(i, run_spec)
    flag_items, options = _parse_tokens(i, tokens[1:])
    flags_map = item.get("flags") or {}
    if not isinstance(flags_map, dict):
        raise _step_error(i, "flags must be a mapping")
    flag_items.extend((str(k), v) for k, v in flags_map.items())
    for key in ("needed", "force-sourcecode", "fail-on-trial-error"):
        if item.get(key):
            options[key.replace("-", "_")] = True
    for key in ("max-trials", "optimizer", "label", "random-seed"):
        if item.get(key) is not None:
            options[key.replace("-", "_")] = item[key]
    tags = item.get("tags")
    if tags:
        tags = [tags] if isinstance(tags, str) else tags
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise _step_error(i, "tags must be a string or a list of strings")
        options["tags"] = list(tags)
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise _step_error(i, f"name must be a string, got {type(name).__name__}")
    return Step(i, name or tokens[0], "", tokens[0], flag_items, options)


MAX_LINK_NAME = 200  # bytes; the file system allows 255, and "_N" and a temp prefix are added


def _name_links(steps: list[Step]) -> None:
    """Give each step its link name (``NAME``, ``NAME_2``, ...), refusing names a
    run folder cannot hold and names that two steps would share."""
    seen: dict[str, int] = {}
    owner: dict[str, int] = {}
    for step in steps:
        n = seen.get(step.name, 0) + 1
        seen[step.name] = n
        link = (step.name if n == 1 else f"{step.name}_{n}").replace("/", "_")
        _check_link_name(step, link)
        if link in owner:
            raise _step_error(step.index, f"its link name '{link}' is also the link of step {owner[link] + 1}; "
                                          "give one of them another name")
        owner[link] = step.index
        step.link_name = link


def _check_link_name(step: Step, link: str) -> None:
    bad = next((c for c in link if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        raise _step_error(step.index, f"name {step.name!r} has a control character")
    if link.startswith("."):
        raise _step_error(step.index, f"name {step.name!r} cannot start with '.'")
    if len(link.encode("utf-8", "surrogateescape")) > MAX_LINK_NAME:
        raise _step_error(step.index, f"name is longer than {MAX_LINK_NAME} bytes")


_REF_RE = re.compile(r"\$\{([^}]+)\}")


def _substitute(value: Any, flags: dict[str, Any], step: Step) -> Any:
    """``${name}`` replaced by the pipeline's flag value.

    A value that is a single reference takes the flag's value as it is (a
    bool, a number, a list, a range); inside other text it is written out.
    """
    if not isinstance(value, str) or "${" not in value:
        return value

    def lookup(name: str) -> Any:
        if name not in flags:
            raise _step_error(step.index, f"undefined flag reference ${{{name}}}")
        return flags[name]

    whole = _REF_RE.fullmatch(value)
    if whole:
        val = lookup(whole.group(1))
        if isinstance(val, str) and _REF_RE.search(val):
            raise _step_error(step.index, f"flag value {value!r} refers to a value that is itself a reference "
                                          f"({val!r}); references are not expanded recursively")
        return val

    def repl(m: re.Match[str]) -> str:
        val = lookup(m.group(1))
        if val is None:
            return ""
        return val if isinstance(val, str) else str(val) if isinstance(val, flagsmod.SearchSpace) else encode_value(val)

    out = _REF_RE.sub(repl, value)
    if _REF_RE.search(out):
        raise _step_error(step.index, f"flag value {value!r} refers to a value that is itself a reference "
                                      f"({out!r}); references are not expanded recursively")
    return out


def step_flags(step: Step, flags: dict[str, Any]) -> dict[str, Any]:
    """The step's decoded flag values after ``${flag}`` substitution."""
    out: dict[str, Any] = {}
    for name, raw in step.flag_items:
        val = _substitute(raw, flags, step)
        if isinstance(val, str):
            decoded = flagsmod.decode_arg(val)
            # Scalars stay text until the step's flag types are known.
            val = decoded if isinstance(decoded, (list, flagsmod.SearchSpace)) else flagsmod.ArgText(val)
        out[name] = val
    return out


def _arg_text(val: Any) -> str:
    if isinstance(val, flagsmod.ArgText):
        val = flagsmod.decode_arg(val)
    if isinstance(val, flagsmod.SearchSpace):
        return shlex.quote(str(val))
    return encode_value(val)


def log_args(step: Step, given: dict[str, Any], prefix: list[str]) -> str:
    parts = list(prefix)
    for key, opt in (("max_trials", "--max-trials"), ("optimizer", "--optimizer"), ("random_seed", "--random-seed")):
        if step.options.get(key) is not None:
            parts += [opt, str(step.options[key])]
    parts += [f"{n}={_arg_text(given[n])}" for n in sorted(given)]
    return " ".join(parts)


def step_opspec(pipeline: OpDef, step: Step) -> str:
    if ":" in step.opspec or step.opspec.endswith(".py") or not pipeline.model:
        return step.opspec
    return f"{pipeline.model}:{step.opspec}"


def validate(
    ctx: Context, opdef: OpDef, flags: dict[str, Any] | None = None, chain: tuple[str, ...] = ()
) -> None:
    """Fail early, before any run is made, on a malformed step list, an unknown
    step op, a ``${flag}`` reference that cannot be resolved, or a pipeline
    that runs itself through its steps."""
    chain = chain + (opdef.full_name,)
    project = project_dir_for(ctx, opdef)
    for step in parse_steps(opdef):
        step_op = resolve_opdef(ctx, step_opspec(opdef, step), project)
        if flags is not None:
            try:
                step_flags(step, flags)
            except GuildfileError as e:
                head, _, rest = e.message.partition(":")
                raise GuildfileError(f"{head} of {opdef.full_name}:{rest}") from None
        if step_op.is_pipeline:
            if step_op.full_name in chain:
                cycle = " -> ".join(chain[chain.index(step_op.full_name):] + (step_op.full_name,))
                raise GuildfileError(f"pipeline {chain[0]} runs itself through its steps: {cycle}")
            validate(ctx, step_op, None, chain)
