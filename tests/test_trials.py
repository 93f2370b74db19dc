"""Generating trials: grid order, seeded random draws, typed ranges and trial files."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guildlike.errors import FlagError, UsageError
from guildlike.guildfile.flags import SearchSpace, decode_arg
from guildlike.guildfile.opdef import FlagDef, OpDef
from guildlike.ops import trials


def _op(**types: str) -> OpDef:
    return OpDef(name="train", flags={n: FlagDef(name=n, type=t) for n, t in types.items()})


def test_grid_order_names_sorted_last_fastest() -> None:
    got = trials.grid({"lr": [0.01, 0.1], "batch": [16, 32], "x": 0})
    assert got == [
        {"batch": 16, "lr": 0.01, "x": 0},
        {"batch": 16, "lr": 0.1, "x": 0},
        {"batch": 32, "lr": 0.01, "x": 0},
        {"batch": 32, "lr": 0.1, "x": 0},
    ]


def test_grid_max_trials_takes_the_first() -> None:
    assert trials.grid({"a": [1, 2, 3], "b": [1, 2]}, 3) == [{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 2, "b": 1}]


@given(st.dictionaries(st.sampled_from("abcd"), st.lists(st.integers(), min_size=1, max_size=3), min_size=1))
def test_grid_is_the_full_product(flags: dict[str, list[int]]) -> None:
    got = trials.grid(dict(flags))
    assert len(got) == math.prod(len(v) for v in flags.values())
    names = sorted(flags)
    assert got == [dict(zip(names, combo)) for combo in itertools.product(*(flags[n] for n in names))]


def test_random_is_repeatable_with_a_seed() -> None:
    flags = {"x": decode_arg("[-2.0:2.0]"), "opt": ["sgd", "adam"], "n": 3}
    a = trials.random_trials(flags, 5, 7)
    assert a == trials.random_trials(flags, 5, 7)
    assert a != trials.random_trials(flags, 5, 8)
    assert all(-2.0 <= t["x"] <= 2.0 and t["opt"] in ("sgd", "adam") and t["n"] == 3 for t in a)
    assert len(trials.random_trials(flags, None, 7)) == trials.DEFAULT_MAX_TRIALS


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_loguniform_stays_in_bounds(seed: int) -> None:
    got = trials.random_trials({"lr": decode_arg("loguniform[1e-4:1e-1]")}, 10, seed)
    assert all(1e-4 <= t["lr"] <= 1e-1 for t in got)


def test_typed_spaces_float_flag_draws_floats() -> None:
    spaces = trials.typed_spaces(_op(lr="float"), {"lr": decode_arg("[0:1]")})
    assert spaces["lr"] == SearchSpace("uniform", 0.0, 1.0, "[0:1]")
    drawn = {t["lr"] for t in trials.random_trials(spaces, 10, 1)}
    assert len(drawn) == 10


def test_typed_spaces_int_flag_draws_whole_numbers() -> None:
    op = _op(batch="int")
    spaces = trials.typed_spaces(op, {"batch": decode_arg("loguniform[8.0:512.0]")})
    got = trials.random_trials(spaces, 50, 3, trials.int_flags(op))
    assert all(isinstance(t["batch"], int) and 8 <= t["batch"] <= 512 for t in got)
    with pytest.raises(FlagError, match="no whole number"):
        trials.typed_spaces(op, {"batch": decode_arg("[16.5:16.7]")})


def test_decode_spaces_reads_stored_ranges_back() -> None:
    op = _op(x="number", note="string")
    got = trials.decode_spaces(op, {"x": "[-2.0:2.0]", "note": "[a:b]", "n": 3})
    assert got["x"] == decode_arg("[-2.0:2.0]")
    assert got["note"] == "[a:b]"
    assert got["n"] == 3


def test_kind_and_optimizer_names() -> None:
    assert trials.kind({"x": [1, 2]}, None) == "grid"
    assert trials.kind({"x": decode_arg("[1:2]")}, None) == "random"
    assert trials.kind({"x": [1, 2]}, "random") == "random"
    assert trials.kind({}, "tpe") == "bayesian"
    assert trials.kind({}, "Bayesian") == "bayesian"
    with pytest.raises(UsageError, match="unknown optimizer 'gp'"):
        trials.kind({}, "gp")


def test_read_trial_files(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("lr,batch,note\n0.01,16,a b\n1e-3,32,yes\n")
    assert trials.read_file(tmp_path / "t.csv") == [
        {"lr": 0.01, "batch": 16, "note": "a b"},
        {"lr": 0.001, "batch": 32, "note": True},
    ]
    (tmp_path / "t.json").write_text('{"x": 1}')
    assert trials.read_file(tmp_path / "t.json") == [{"x": 1}]
    (tmp_path / "t.yml").write_text("- x: 1\n- {x: 2, y: b}\n")
    assert trials.read_file(tmp_path / "t.yml") == [{"x": 1}, {"x": 2, "y": "b"}]
    (tmp_path / "bad.yml").write_text("- 1\n")
    with pytest.raises(FlagError, match="expected a list of flag mappings"):
        trials.read_file(tmp_path / "bad.yml")
    with pytest.raises(FlagError, match="cannot read trials file"):
        trials.read_file(tmp_path / "missing.csv")
