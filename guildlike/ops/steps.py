"""Pipelines: operations with ``steps:``.

Each step is a run of its own; the pipeline's run directory holds one
relative symlink per step (``fail``, ``fail_2``, ...), made before the step
starts. A restart walks the same links: a link to an existing run restarts
that run, a dangling or missing link runs the step anew, and anything that
is not a symlink stops the restart before anything changes.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildfileError, StepLinkError
from ..guildfile import flags as flagsmod
from ..guildfile.opdef import OpDef
from ..store import status, store
from ..store.run import Run
from ..util.yamlutil import encode_value
from .options import RunOptions

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
            try:
                tokens = shlex.split(item)
            except ValueError as e:
                raise _step_error(i, str(e)) from None
            if not tokens:
                raise _step_error(i, "empty step")
            opspec, rest = tokens[0], tokens[1:]
            flag_items, options = _parse_tokens(i, rest)
            name = opspec
        elif isinstance(item, dict):
            unknown = set(item) - STEP_KEYS
            if unknown:
                import difflib

                key = sorted(unknown)[0]
                close = difflib.get_close_matches(key, sorted(STEP_KEYS), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise _step_error(i, f"unknown key '{key}'{hint}")
            run_spec = item.get("run")
            if not isinstance(run_spec, str) or not run_spec.strip():
                raise _step_error(i, "'run' must name an operation")
            tokens = shlex.split(run_spec)
            opspec = tokens[0]
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
            if item.get("tags"):
                tags = item["tags"]
                options["tags"] = [tags] if isinstance(tags, str) else list(tags)
            name = str(item.get("name") or opspec)
        else:
            raise _step_error(i, f"expected a string or a mapping, got {type(item).__name__}")
        steps.append(Step(i, name, "", opspec, flag_items, options))
    seen: dict[str, int] = {}
    for step in steps:
        n = seen.get(step.name, 0) + 1
        seen[step.name] = n
        step.link_name = step.name if n == 1 else f"{step.name}_{n}"
        step.link_name = step.link_name.replace("/", "_")
    return steps


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

    def repl(m: "re.Match[str]") -> str:
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


def _link_state(link: Path) -> str:
    """'missing', 'dangling', 'run' or 'other'."""
    if not os.path.lexists(link):
        return "missing"
    if not os.path.islink(link):
        return "other"
    return "run" if os.path.isdir(link) else "dangling"


def check_links(run: Run, steps: list[Step]) -> None:
    """Stop a restart before anything changes when a step link is not a link,
    or links to a run outside the home's runs folder."""
    runs_dir = os.path.realpath(run.path.parent)
    for step in steps:
        link = run.path / step.link_name
        state = _link_state(link)
        if state == "other":
            raise StepLinkError(f"unexpected step run link {link}: expected symlink")
        if state == "run" and os.path.dirname(os.path.realpath(link)) != runs_dir:
            raise StepLinkError(
                f"step run link {link} points outside the home's runs: {os.path.realpath(link)}"
            )


def _point_link(link: Path, target_id: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp-link")
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(os.path.join("..", target_id), tmp)
    os.replace(tmp, link)


def _child_opts(opts: RunOptions, step: Step, run: Run, candidates: list[str]) -> RunOptions:
    o = step.options
    max_trials = o.get("max_trials")
    seed = o.get("random_seed")
    return opts.for_child(
        needed=bool(o.get("needed") or opts.needed),
        force_sourcecode=bool(o.get("force_sourcecode") or opts.force_sourcecode),
        max_trials=int(max_trials) if max_trials is not None else None,
        optimizer=o.get("optimizer"),
        random_seed=int(seed) if seed is not None else None,
        label=o.get("label"),
        tags=list(o.get("tags") or []),
        fail_on_trial_error=bool(o.get("fail_on_trial_error")),
        keep_batch=True,
        parent_id=run.id,
        candidates=candidates,
        trigger=f"pipeline {run.id}",
    )


def _link_targets(run: Run) -> list[str]:
    out = []
    try:
        names = sorted(os.listdir(run.path))
    except OSError:
        return out
    for name in names:
        p = run.path / name
        if os.path.islink(p) and os.path.isdir(p):
            out.append(os.path.basename(os.readlink(p)))
    return out


def _output_changed(step_run: Run, since: int) -> bool:
    """True when the step ran in this pipeline attempt and its output differs from before."""
    step_run.invalidate()
    attempts = step_run.get("attempts") or []
    if not attempts or (attempts[-1].get("started") or 0) < since:
        return False
    if len(attempts) < 2:
        return True
    return attempts[-1].get("data_digest") != attempts[-2].get("data_digest")


def check_structure(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    """Record the pipeline's structure, or compare it when the definition was read afresh."""
    from . import structure
    from .restart import project_dir_for

    recorded = run.get("structure")
    if recorded is not None and not opts.force_sourcecode:
        return
    current = structure.compute(ctx, opdef, project_dir_for(ctx, opdef))
    structure.check(ctx, recorded, current, opts.force_structure)
    if recorded != current:
        run.set("structure", current)


def run_pipeline(ctx: Context, run: Run, opdef: OpDef, opts: RunOptions) -> None:
    from .run import finish, mark_started, recording_end

    steps = parse_steps(opdef)
    check_links(run, steps)
    check_structure(ctx, run, opdef, opts)
    mark_started(run, opts, ctx)
    status.write_lock(run.path, os.getpid())
    since = run.get("started") or 0
    flags = run.flags
    changed: dict[str, str] = {}
    with recording_end(run):
        _run_steps(ctx, run, opdef, opts, steps, flags, since, changed)
    finish(run, 0)


def _run_steps(
    ctx: Context,
    run: Run,
    opdef: OpDef,
    opts: RunOptions,
    steps: list[Step],
    flags: dict[str, Any],
    since: int,
    changed: dict[str, str],
) -> None:
    from .restart import project_dir_for, restart
    from .run import resolve_opdef, run_opdef

    for step in steps:
        given = step_flags(step, flags)
        link = run.path / step.link_name
        state = _link_state(link)
        if state == "other":
            raise StepLinkError(f"unexpected step run link {link}: expected symlink")
        child = _child_opts(opts, step, run, _link_targets(run))
        child.changed_runs = dict(changed)
        if state == "run":
            target = Path(os.path.realpath(link))
            if str(target.parent) != os.path.realpath(run.path.parent):
                raise StepLinkError(f"step run link {link} points outside the home's runs: {target}")
            step_run = Run(target.name, target)
            prefix = []
            if child.force_sourcecode:
                prefix.append("--force-sourcecode")
            if child.needed and step_run.status == status.COMPLETED:
                prefix.append("--needed")
            ctx.ui.info(f"restarting {step.name}: {step_run.id} {log_args(step, given, prefix)}".rstrip())
            restart(ctx, step_run, given, child)
            if _output_changed(step_run, since):
                changed[step_run.id] = step.link_name
        else:
            spec = step_opspec(opdef, step)
            new_id = store.new_run_id()
            _point_link(link, new_id)
            ctx.ui.info(f"running {step.name}: {spec} {log_args(step, given, [])}".rstrip())
            step_opdef = resolve_opdef(ctx, spec, project_dir_for(ctx, opdef))
            child.run_id = new_id
            child.needed = bool(step.options.get("needed"))
            changed[new_id] = step.link_name
            run_opdef(ctx, step_opdef, given, child)


def validate(
    ctx: Context, opdef: OpDef, flags: dict[str, Any] | None = None, chain: tuple[str, ...] = ()
) -> None:
    """Fail early, before any run is made, on a malformed step list, an unknown
    step op, a ``${flag}`` reference that cannot be resolved, or a pipeline
    that runs itself through its steps."""
    from .restart import project_dir_for
    from .run import resolve_opdef

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
