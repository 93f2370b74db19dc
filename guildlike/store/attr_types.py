"""The type each known run attribute must have.

Attribute files can be edited by hand or written by other tools: a value of
the wrong type (``started: yesterday``, ``flags: "a=1"``) is read as if the
attribute were absent, and the run reports it as damaged, instead of a
command failing somewhere far from the file.
"""

from __future__ import annotations

from typing import Any

_INT = (int,)
TYPES: dict[str, tuple[type, ...]] = {
    "started": _INT,
    "stopped": _INT,
    "initialized": _INT,
    "exit_status": _INT,
    "id": (str,),
    "label": (str,),
    "label_template": (str,),
    "sourcecode_digest": (str,),
    "vcs_commit": (str,),
    "parent": (str,),
    "host": (str,),
    "user": (str,),
    "tags": (list,),
    "cmd": (list,),
    "attempts": (list,),
    "trials": (list,),
    "flags": (dict,),
    "op": (dict,),
    "env": (dict,),
    "run_params": (dict,),
    "platform": (dict,),
    "deps": (dict, list),
    "marked": (bool,),
    "comments": (list,),
}
_NAMES = {bool: "true or false", int: "an integer", str: "text", list: "a list", dict: "a mapping"}


def problem(name: str, val: Any) -> str | None:
    """Why ``val`` cannot be the attribute ``name``; None when it can (or is absent)."""
    allowed = TYPES.get(name)
    if val is None or allowed is None:
        return None
    if isinstance(val, allowed) and not (isinstance(val, bool) and bool not in allowed):
        return None
    want = " or ".join(_NAMES[t] for t in allowed)
    return f"attribute {name} is not {want}"
