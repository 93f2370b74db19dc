"""Environment variables that look secret never reach a run's ``env``
attribute, any other file guildlike writes, or an exported run; the operation
itself still sees them."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import yaml

from reliability_support import Env

SECRETS = {
    "MY_PASSWORD": "hunter2-s3cr3t",
    "API_TOKEN": "tok-s3cr3t",
    "AWS_SECRET_ACCESS_KEY": "aws-s3cr3t",
    "ssh_private_key": "ssh-s3cr3t",
    "MY_PRIVATE_THING": "private-s3cr3t",  # secret by GUILDLIKE_SECRET_PATTERNS
}
ENV = dict(SECRETS, PLAIN_SETTING="plain-value", GUILDLIKE_SECRET_PATTERNS="*PRIVATE*")
# A value written in guild.yml's `env:` is the project's source (kept with the
# run's source snapshot and operation record); it is checked in `env` only.
VALUES = list(SECRETS.values())


def _files_holding_secrets(base: Path, skip_output: bool = True) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            p = Path(dirpath) / name
            if skip_output and p.parent.name == ".guild" and name.startswith("output"):
                continue  # what the op itself printed
            data = p.read_bytes()
            found += [f"{p}: {v}" for v in VALUES if v.encode() in data]
    return found


def test_secrets_are_not_stored(genv: Env) -> None:
    res = genv.ok("run", "-y", "envcheck", env=ENV)
    # the op sees every variable
    for name in ("MY_PASSWORD", "API_TOKEN", "YML_API_KEY", "MY_PRIVATE_THING", "PLAIN_SETTING"):
        assert f"{name}: set" in res.out
    genv.ok("run", "-y", "noops", env=ENV)
    assert len(genv.run_ids()) == 4
    for rid in genv.run_ids():
        env = genv.attr(rid, "env")
        if env is None:
            assert genv.op_of(rid) == "noops"  # a pipeline runs no process of its own
            continue
        assert not {k for k in env if k.upper() in {s.upper() for s in SECRETS} | {"YML_API_KEY"}}, env
        assert "from-guild-yml-s3cr3t" not in str(env)
        assert env["PLAIN_SETTING"] == "plain-value"
    assert _files_holding_secrets(genv.home) == []
    info = genv.ok("select", "-a", "env", genv.ids_of("envcheck")[0])
    assert "PLAIN_SETTING" in info.out and "s3cr3t" not in info.out


def test_secrets_are_not_exported(genv: Env) -> None:
    genv.ok("run", "-y", "envcheck", env=ENV)
    (rid,) = genv.run_ids()
    # A run written by an older guildlike, or another tool, with secrets in env.
    env_file = genv.run_dir(rid) / ".guild" / "attrs" / "env"
    env = yaml.safe_load(env_file.read_text())
    env.update(SECRETS)
    env["LATER_ADDED"] = "later-s3cr3t"
    env_file.write_text(yaml.safe_dump(env))
    VALUES.append("later-s3cr3t")
    try:
        extra = {"GUILDLIKE_SECRET_PATTERNS": "*PRIVATE*,LATER_*"}
        genv.ok("export", str(genv.tmp / "out"), "-y", env=extra)
        genv.ok("export", str(genv.tmp / "out.zip"), "-y", env=extra)
        assert _files_holding_secrets(genv.tmp / "out") == []
        with zipfile.ZipFile(genv.tmp / "out.zip") as zf:
            for name in zf.namelist():
                if "/.guild/output" in name:
                    continue
                data = zf.read(name)
                assert not [v for v in VALUES if v.encode() in data], name
            exported = yaml.safe_load(zf.read(f"{rid}/.guild/attrs/env"))
        assert exported["PLAIN_SETTING"] == "plain-value"
        # the home's own copy is left as it was
        assert "later-s3cr3t" in env_file.read_text()
    finally:
        VALUES.remove("later-s3cr3t")
