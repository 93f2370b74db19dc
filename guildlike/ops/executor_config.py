"""Which executor a command uses: ``--executor``, else ``$GUILDLIKE_EXECUTOR``,
else ``executor:`` in the home's ``config.yml``; ``local`` when none says.

``config.yml`` may name a scheduler (``executor: dask://HOST:PORT``) or
describe a cluster that a batch system starts (dask-jobqueue, in the
``cluster`` extra)::

    executor:
      type: slurm          # or pbs, sge, lsf
      cores: 4             # per job
      memory: 8GB          # per job
      workers: 2           # jobs started (each a Dask worker)
      resources: {GPU: 1}  # what each worker offers runs (op resources)
      queue: gpu
      walltime: "02:00:00"

Keys other than ``type``, ``workers`` and ``resources`` go to the
dask-jobqueue cluster class as they are (``job-extra-directives`` is its
``job_extra_directives``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..context import Context
from ..errors import ExecutorError, UsageError

CONFIG_NAME = "config.yml"
ENV_NAME = "GUILDLIKE_EXECUTOR"
JOBQUEUE_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}
JOBQUEUE_HINT = "pip install 'guildlike[cluster]'"


def config_path(home: Path) -> Path:
    return home / CONFIG_NAME


def read_config(home: Path) -> dict[str, Any]:
    """The home's ``config.yml`` as a mapping ({} when there is none)."""
    path = config_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"invalid YAML in {path}{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"invalid {path}: expected a mapping, got {type(data).__name__}")
    return data


def executor_setting(ctx: Context, given: str | None) -> str | dict[str, Any] | None:
    """What names the executor: ``given`` (the CLI's), the environment's, or the config's."""
    if given:
        return given
    env = ctx.env.get(ENV_NAME)
    if env:
        return env
    setting = read_config(ctx.home).get("executor")
    if setting is None or isinstance(setting, (str, dict)):
        return setting
    raise UsageError(f"invalid executor in {config_path(ctx.home)}: expected dask://HOST:PORT or a mapping")


def jobqueue_cluster(config: dict[str, Any]) -> Any:
    """The dask-jobqueue cluster ``config`` describes (its jobs not yet submitted)."""
    kind = config.get("type")
    name = f"{kind}" if isinstance(kind, str) else "cluster"
    if kind not in JOBQUEUE_CLASSES:
        raise UsageError(f"invalid executor type {kind!r}: use one of {', '.join(sorted(JOBQUEUE_CLASSES))}")
    kwargs = {str(k).replace("-", "_"): v for k, v in config.items() if k not in ("type", "workers", "resources")}
    resources = config.get("resources") or {}
    if not isinstance(resources, dict) or not all(_positive(v) for v in resources.values()):
        raise UsageError(f"invalid resources {resources!r} of the {name} executor: use NAME: AMOUNT")
    if resources:
        pairs = ",".join(f"{k}={v}" for k, v in resources.items())
        kwargs["worker_extra_args"] = [*kwargs.get("worker_extra_args", []), "--resources", pairs]
    kwargs.setdefault("scheduler_options", {"dashboard_address": None})
    try:
        import dask_jobqueue  # lazy: optional extra (guildlike[cluster])
    except ImportError:
        raise ExecutorError(name, f"dask-jobqueue is not installed: {JOBQUEUE_HINT}") from None
    try:
        return getattr(dask_jobqueue, JOBQUEUE_CLASSES[kind])(**kwargs)
    except (TypeError, ValueError) as e:
        raise ExecutorError(name, f"invalid setting ({e})") from None


def cluster_workers(config: dict[str, Any]) -> int:
    workers = config.get("workers", 1)
    if not _positive(workers) or not isinstance(workers, int):
        raise UsageError(f"invalid workers {workers!r} of the {config.get('type')} executor: use a positive number")
    return workers


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
