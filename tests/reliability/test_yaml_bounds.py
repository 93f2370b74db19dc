"""guild.yml documents whose expansion is unbounded (alias bombs, deep nesting)
are refused in one line naming the file, quickly, and nothing is run or stored."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from reliability_support import Env, assert_clean_error

from guildlike.util import yamlutil


def alias_bomb(levels: int = 7, width: int = 9) -> str:
    """Under a kilobyte of YAML that expands to width**levels strings."""
    names = "abcdefghijk"
    lines = ["quick:\n  main: quick\n  flags-import: all\nx:\n  description: bomb\n  flags:\n"]
    lines.append(f"    a: &a [{', '.join(['lol'] * width)}]\n")
    for i in range(1, levels + 1):
        lines.append(f"    {names[i]}: &{names[i]} [{', '.join(['*' + names[i - 1]] * width)}]\n")
    return "".join(lines)


DEEP = "quick:\n  main: quick\n  flags:\n    x:\n      default: " + "[" * 990 + "]" * 990 + "\n"
BLOCK_DEEP = "quick:\n  main: quick\n  flags:\n    x:\n" + "".join(
    " " * (6 + 2 * i) + f"k{i}:\n" for i in range(150)
) + " " * 306 + "v: 1\n"
SELF = "quick: &q\n  main: quick\n  description: [*q]\n"
CASES = {"bomb": alias_bomb(), "deep-flow": DEEP, "deep-block": BLOCK_DEEP, "self-alias": SELF}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("cmd", [["run", "-y", "quick"], ["operations"], ["run", "quick", "--help-op"]])
def test_unbounded_guildfile_is_refused(genv: Env, name: str, cmd: list[str]) -> None:
    path = genv.project / "guild.yml"
    path.write_text(CASES[name])
    t0 = time.monotonic()
    res = genv.gl(*cmd)
    assert time.monotonic() - t0 < 10, "took too long"
    assert_clean_error(res)
    first = res.err.splitlines()[0]
    assert str(path) in first and "invalid YAML" in first, first
    assert genv.run_ids() == []


def test_a_stale_cache_entry_is_not_used(genv: Env) -> None:
    """A document cached before documents were bounded is read from the YAML again."""
    text = alias_bomb(levels=5)
    (genv.project / "guild.yml").write_text(text)
    cache = genv.home / "cache" / "guildfile"
    cache.mkdir(parents=True)
    old_key = hashlib.sha256(text.encode()).hexdigest()
    (cache / f"{old_key}.json").write_text(json.dumps({"quick": {"main": "quick", "description": "x" * 10}}))
    res = genv.gl("run", "-y", "quick")
    assert_clean_error(res)
    assert "too many aliases" in res.err


def test_bounds_allow_ordinary_aliases(tmp_path: Path) -> None:
    doc = "base: &b {lr: 0.1, epochs: 2}\ntrain:\n  flags: *b\nmore:\n  flags:\n    <<: *b\n    extra: 1\n"
    data = yamlutil.load(doc)
    assert data["train"]["flags"] == {"lr": 0.1, "epochs": 2}
    assert data["more"]["flags"]["extra"] == 1
    wide = "[" + ", ".join(str(i) for i in range(50_000)) + "]"
    assert len(yamlutil.load(wide)) == 50_000


def test_trials_file_reader_is_bounded(genv: Env) -> None:
    """Every reader of YAML shares the bound: a trials file bomb is one line too."""
    names = "abcdefgh"
    text = "- &a {msg: [lol, lol, lol, lol, lol, lol, lol, lol, lol]}\n"
    for i in range(1, 8):
        text += f"- &{names[i]} {{msg: [{', '.join(['*' + names[i - 1]] * 9)}]}}\n"
    (genv.project / "trials.yml").write_text(text)
    t0 = time.monotonic()
    res = genv.gl("run", "-y", "quick", "@trials.yml")
    assert time.monotonic() - t0 < 10
    assert_clean_error(res)
    assert "too many aliases" in res.err.splitlines()[0]
    assert genv.run_ids() == []
