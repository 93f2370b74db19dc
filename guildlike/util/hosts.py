"""The name this machine goes by in run records (a run's host, its LOCK's host)."""

from __future__ import annotations

import os

HOST_ENV = "GUILDLIKE_HOST"


def host_name() -> str:
    """``$GUILDLIKE_HOST`` when set (machines that share a host name, such as
    containers, tell themselves apart with it), else the machine's host name."""
    return os.environ.get(HOST_ENV) or os.uname().nodename  # what socket.gethostname() gives, without its import
