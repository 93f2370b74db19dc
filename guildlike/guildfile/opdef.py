"""Operation and flag definitions.

An ``OpDef`` is what a run records of its operation (the ``op`` attribute),
so that a restart replays the operation as it was first run even when the
project's guild.yml or scripts have changed since.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FLAG_TYPES = ("int", "float", "number", "boolean", "bool", "string", "str", "path", "existing-path")


def _empty(v: Any) -> bool:
    """None, False and empty containers are left out of stored data (0 is kept)."""
    return v is None or v is False or (isinstance(v, (str, list, dict)) and not v)


@dataclass
class FlagDef:
    name: str
    default: Any = None
    type: str | None = None
    choices: list[Any] | None = None
    min: Any = None
    max: Any = None
    required: bool = False
    description: str = ""
    arg_name: str | None = None
    env_name: str | None = None  # the environment variable of its value (default FLAG_NAME)
    imported: bool = False
    # An argparse switch (store_true: True, store_false: False): passed as a
    # bare ``--name`` when the value equals it, left out otherwise.
    arg_switch: bool | None = None

    def to_data(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not _empty(v)}
        data["name"] = self.name
        data["default"] = self.default
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FlagDef:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class OpDef:
    name: str
    model: str = ""
    guildfile: str | None = None  # path to guild.yml, None for a script run
    project_dir: str = ""
    main: str | None = None
    exec: str | None = None
    description: str = ""
    flags: dict[str, FlagDef] = field(default_factory=dict)
    flags_dest: str = "args"  # "args" or "globals"
    label: str | None = None
    output_scalars: Any = None
    sourcecode: Any = None
    steps: list[Any] | None = None
    requires: list[Any] = field(default_factory=list)
    objective: Any = None
    script: str | None = None  # "train.py" when run as a script
    env: dict[str, str] = field(default_factory=dict)
    batch: dict[str, Any] | None = None  # set on a batch run's own op
    compare: list[str] | None = None  # default column specs of ``compare``
    resources: dict[str, float] = field(default_factory=dict)  # what a worker must have (GPU: 1)

    @property
    def full_name(self) -> str:
        return f"{self.model}:{self.name}" if self.model else self.name

    @property
    def is_pipeline(self) -> bool:
        return self.steps is not None

    def flag_defaults(self) -> dict[str, Any]:
        return {n: f.default for n, f in self.flags.items()}

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "model": self.model,
            "guildfile": self.guildfile,
            "project-dir": self.project_dir,
            "main": self.main,
            "exec": self.exec,
            "description": self.description,
            "flags": [f.to_data() for f in self.flags.values()],
            "flags-dest": self.flags_dest,
            "label": self.label,
            "output-scalars": self.output_scalars,
            "sourcecode": self.sourcecode,
            "steps": self.steps,
            "requires": self.requires,
            "objective": self.objective,
            "script": self.script,
            "env": self.env,
            "batch": self.batch,
            "compare": self.compare,
            "resources": self.resources,
        }
        return {k: v for k, v in data.items() if not _empty(v) or k == "steps" and v is not None}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> OpDef:
        flags = {}
        for fd in data.get("flags") or []:
            f = FlagDef.from_data(fd)
            flags[f.name] = f
        return cls(
            name=data.get("name", ""),
            model=data.get("model", "") or "",
            guildfile=data.get("guildfile"),
            project_dir=data.get("project-dir", "") or "",
            main=data.get("main"),
            exec=data.get("exec"),
            description=data.get("description", "") or "",
            flags=flags,
            flags_dest=data.get("flags-dest", "args"),
            label=data.get("label"),
            output_scalars=data.get("output-scalars"),
            sourcecode=data.get("sourcecode"),
            steps=data.get("steps"),
            requires=list(data.get("requires") or []),
            objective=data.get("objective"),
            script=data.get("script"),
            env=dict(data.get("env") or {}),
            batch=data.get("batch"),
            compare=data.get("compare"),
            resources=dict(data.get("resources") or {}),
        )
