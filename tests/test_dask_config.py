"""The executor from the home's config.yml and the environment, and a SLURM cluster's job script."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from dask_support import SKIP_REASON, attr, distributed, gl, run_dirs, start_cluster

from guildlike.context import Context
from guildlike.errors import GuildlikeError
from guildlike.ops import executor_config

pytestmark = [pytest.mark.dask, pytest.mark.skipif(distributed is None, reason=SKIP_REASON)]


def _setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    (project / "op.py").write_text("print('ran')\n")
    env = dict(os.environ, GUILDLIKE_HOME=str(home))
    env.pop("GUILDLIKE_EXECUTOR", None)
    return project, home, env


def _host_of_last_run(home: Path) -> str:
    newest = max(run_dirs(home), key=lambda d: attr(d, "started") or 0)
    return str(attr(newest, "host"))


def test_executor_from_config_then_env_then_cli(tmp_path: Path) -> None:
    project, home, env = _setup(tmp_path)
    with start_cluster(tmp_path, resources=[None], env=env) as cluster:
        (home / "config.yml").write_text(f"executor: {cluster.spec}\n")
        res = gl(project, env, "run", "op.py", "-y")
        assert res.returncode == 0 and "ran" in res.stdout, res.stderr
        assert _host_of_last_run(home) == "w1"  # config.yml sent it to the cluster
        res = gl(project, dict(env, GUILDLIKE_EXECUTOR="local"), "run", "op.py", "-y")
        assert res.returncode == 0 and _host_of_last_run(home) == socket.gethostname()  # env over config
        res = gl(project, dict(env, GUILDLIKE_EXECUTOR=cluster.spec), "run", "op.py", "--executor", "local", "-y")
        assert res.returncode == 0 and _host_of_last_run(home) == socket.gethostname()  # CLI over env
        res = gl(project, dict(env, GUILDLIKE_EXECUTOR="local"), "run", "op.py", "--executor", cluster.spec, "-y")
        assert res.returncode == 0 and _host_of_last_run(home) == "w1"


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("executor: 5\n", "invalid executor in "),
        ("executor: [dask]\n", "invalid executor in "),
        ("executor: dask://nowhere\n", "invalid executor 'dask://nowhere'"),
        ("executor: {type: nope}\n", "invalid executor type 'nope': use one of lsf, pbs, sge, slurm"),
        ("executor: {type: slurm, workers: 0}\n", "invalid workers 0 of the slurm executor"),
        ("executor: {type: slurm, resources: {GPU: x}}\n", "invalid resources"),
        ("executor: {type: slurm, cores: 1, memory: 1GB, colour: blue}\n", "executor slurm: invalid setting"),
        ("executor: [\n", "invalid YAML in "),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_bad_config_is_a_one_line_error_and_makes_no_run(tmp_path: Path, config: str, said: str) -> None:
    project, home, env = _setup(tmp_path)
    (home / "config.yml").write_text(config)
    res = gl(project, env, "run", "op.py", "-y")
    assert res.returncode in (1, 2) and len(res.stderr.splitlines()) == 1 and said in res.stderr, res.stderr
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())


SLURM_CONFIG = """\
executor:
  type: slurm
  cores: 4
  memory: 8GB
  workers: 2
  queue: gpu
  account: lab
  walltime: "02:00:00"
  job-extra-directives: ["--gres=gpu:1"]
  resources: {GPU: 1}
"""


def test_slurm_job_script_carries_the_config(tmp_path: Path) -> None:
    """No SLURM needed: the cluster is made (its jobs not submitted) and its job script read."""
    pytest.importorskip("dask_jobqueue", reason="a SLURM executor needs guildlike[cluster] (dask-jobqueue)")
    _, home, env = _setup(tmp_path)
    (home / "config.yml").write_text(SLURM_CONFIG)
    ctx = Context(home=home, cwd=tmp_path, env=env)
    setting = executor_config.executor_setting(ctx, None)
    assert isinstance(setting, dict) and executor_config.cluster_workers(setting) == 2
    cluster = executor_config.jobqueue_cluster(setting)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ("#SBATCH -p gpu", "#SBATCH -A lab", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G",
                 "#SBATCH -t 02:00:00", "#SBATCH --gres=gpu:1"):
        assert line in script, script
    assert "distributed.cli.dask_worker" in script and "--resources GPU=1" in script, script
    # The CLI's executor wins over the config: nothing of SLURM is touched.
    assert executor_config.executor_setting(ctx, "local") == "local"
    with pytest.raises(GuildlikeError, match="invalid executor type"):
        executor_config.jobqueue_cluster({"type": "kubernetes"})
