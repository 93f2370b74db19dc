"""Importing flags from a script: module globals and argparse arguments."""

from __future__ import annotations

from guildlike.guildfile.flags_import import inspect_source


def test_globals() -> None:
    dest, flags = inspect_source(
        "import math\nx = 0\nnoise = 0.1\nfail = True\nname: str = 'a'\n_private = 1\n"
        "computed = math.pi\nnothing = None\n"
        "def f():\n    inner = 2\n"
    )
    assert dest == "globals"
    assert {n: f.default for n, f in flags.items()} == {"x": 0, "noise": 0.1, "fail": True, "name": "a"}
    assert all(f.imported for f in flags.values())


def test_argparse() -> None:
    dest, flags = inspect_source(
        "import argparse\n"
        "p = argparse.ArgumentParser()\n"
        "p.add_argument('--lr', type=float, default=0.1, help='Learning rate')\n"
        "p.add_argument('-e', '--epochs', type=int, default=2)\n"
        "p.add_argument('--opt', choices=['sgd', 'adam'], default='sgd')\n"
        "p.add_argument('--data', required=True)\n"
        "p.add_argument('--fast', action='store_true')\n"
        "p.add_argument('-q')\n"
        "p.add_argument('positional')\n"
        "threshold = 5\n"
    )
    assert dest == "args"
    assert sorted(flags) == ["data", "epochs", "fast", "lr", "opt"]
    assert (flags["lr"].type, flags["lr"].default, flags["lr"].description) == ("float", 0.1, "Learning rate")
    assert (flags["epochs"].type, flags["epochs"].default) == ("int", 2)
    assert flags["opt"].choices == ["sgd", "adam"]
    assert flags["data"].required
    assert (flags["fast"].type, flags["fast"].default) == ("boolean", False)
