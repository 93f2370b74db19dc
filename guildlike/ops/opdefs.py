"""Which operation definition a run uses: from the project, or as a run recorded it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..context import Context
from ..errors import GuildlikeError
from ..guildfile import deps
from ..guildfile import flags as flagsmod
from ..guildfile import load as gfload
from ..guildfile.opdef import OpDef
from ..store.run import Run


def flags_cache_dir(ctx: Context) -> Path:
    return ctx.home / "cache" / "flags"


def resolve_opdef(ctx: Context, opspec: str, project_dir: Path | None = None) -> OpDef:
    """The operation ``opspec`` names in the project (the current folder by default)."""
    return gfload.resolve(opspec, project_dir or ctx.cwd, flags_cache_dir(ctx))


def decode_flag_args(args: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` arguments as ``ArgText``: decoded once the flag's type is known."""
    return {name: flagsmod.ArgText(raw) for name, raw in flagsmod.split_assigns(args).items()}


def recorded_opdef(run: Run) -> OpDef:
    """The operation as ``run`` recorded it when it was made."""
    data = run.get("op")
    if not isinstance(data, dict) or "name" not in data:
        raise GuildlikeError(
            f"cannot restart run {run.id}: it has no guildlike operation record "
            "(was it created by another tool?)"
        )
    return OpDef.from_data(data)


def opref_opdef(ctx: Context, run: Run) -> OpDef:
    """The operation of a run made by Guild (no guildlike record): as its
    project's guild.yml (or script) defines it now, found through ``.guild/opref``."""
    ref = run.opref
    project = Path(ref.project_dir) if ref and ref.project_dir else None
    if ref is None or ref.pkg_type not in ("guildfile", "script") or project is None or not project.is_dir():
        where = f" (its project {project} is not here)" if project is not None else ""
        raise GuildlikeError(f"cannot restart run {run.id}: its operation cannot be found{where}")
    return resolve_opdef(ctx, ref.op if ref.pkg_type == "script" else ref.op_name, project)


def run_opdef(ctx: Context, run: Run) -> OpDef:
    """The operation ``run`` replays: its guildlike record, else (a Guild run) its project's."""
    data = run.get("op")
    if isinstance(data, dict) and "name" in data:
        return OpDef.from_data(data)
    return opref_opdef(ctx, run)


def project_dir_for(ctx: Context, recorded: OpDef) -> Path:
    """The recorded project folder, or the current one when the recorded one is
    not on this machine (a run imported from elsewhere)."""
    if recorded.project_dir:
        p = Path(recorded.project_dir)
        if p.is_dir() and (not recorded.guildfile or Path(recorded.guildfile).is_file()):
            return p
    return ctx.cwd


def trial_opdef(batch_op: OpDef) -> OpDef:
    """The trial operation recorded in a batch's operation."""
    assert batch_op.batch is not None
    return OpDef.from_data(batch_op.batch["trial_op"])


def current_opdef(ctx: Context, recorded: OpDef) -> OpDef:
    """The operation as the project defines it now (for --force-sourcecode)."""
    project = project_dir_for(ctx, recorded)
    if recorded.batch is not None:
        fresh = current_opdef(ctx, trial_opdef(recorded))
        batch = dict(recorded.batch, trial_op=fresh.to_data())
        return OpDef.from_data({**fresh.to_data(), "batch": batch, "name": recorded.name})
    spec = recorded.script or recorded.full_name
    return resolve_opdef(ctx, spec, project)


def restart_opdef(ctx: Context, run: Run, force_sourcecode: bool) -> OpDef:
    """The operation a restart of ``run`` replays: as recorded, or the project's current one."""
    opdef = run_opdef(ctx, run)
    return current_opdef(ctx, opdef) if force_sourcecode else opdef


def restart_flags(opdef: OpDef, run: Run, given: dict[str, Any], force_flags: bool) -> dict[str, Any]:
    """The flags a restart of ``run`` gets: its own values, then ``given``, checked against ``opdef``."""
    base = dict(opdef.flag_defaults())
    base.update(run.flags)
    aliases = deps.flag_aliases(opdef)
    typed = run.get("user_flags")
    pinned = {aliases[n] for n in (typed if isinstance(typed, dict) else {}) if n in aliases}
    for key in set(aliases.values()) - pinned - set(opdef.flags):
        base.pop(key, None)  # chosen by the last resolution: resolved anew
    return flagsmod.resolve(opdef, given, base=base, force_flags=force_flags)
