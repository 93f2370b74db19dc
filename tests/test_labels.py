"""Default labels and label templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from guildlike.context import Context
from guildlike.errors import RunStoreError
from guildlike.store import attrs, store
from guildlike.store.run import Run
from guildlike.store.edits import LabelEdit, label_runs
from guildlike.store.labels import default_label, label_value, render_template, run_label


@pytest.mark.parametrize(
    "val, text",
    [
        (True, "yes"),
        (False, "no"),
        (2, "2"),
        (-3, "-3"),
        (1.0, "1.0"),
        (250.0, "250.0"),
        (0.001, "0.001"),
        (10000000000.0, "10000000000.0"),
        (1e-06, "1.0e-06"),
        (1.2345e-05, "1.2345e-05"),
        (1.23456789e-05, "1.23456e-05"),
        (3.14159265, "3.14159"),
        (0.0831954630, "0.08319"),
        (2.999999999, "2.99999"),
        (-0.123456789, "-0.12345"),
        ("plain", "plain"),
        ("two words", "'two words'"),
        (" ", "' '"),
        ("", "''"),
        ("1", "'1'"),
        ("1.5", "'1.5'"),
        ("yes", "'yes'"),
        ("no", "'no'"),
        ("null", "'null'"),
        ("1e-6", "'1e-6'"),
        ("it's", "it's"),
        ("a b'c", "'a b''c'"),
    ],
)
def test_label_value(val: object, text: str) -> None:
    assert label_value(val) == text


def test_default_label_sorted_and_skips_none() -> None:
    flags = {"unit": "kg", "count": 7, "strict": False, "missing": None}
    assert default_label(flags) == "count=7 strict=no unit=kg"


def test_default_label_empty() -> None:
    assert default_label({}) == ""
    assert run_label({}) == ""


def test_tags_come_first_in_order() -> None:
    flags = {"count": 7, "strict": False, "unit": "kg"}
    assert run_label(flags, None, ["keep", "big"]) == "keep big count=7 strict=no unit=kg"
    assert run_label({}, None, ["keep"]) == "keep"


def test_template_replaces_flag_references() -> None:
    flags = {"epochs": 8, "opt": "sgd", "lr": 3.14159265, "fast": True}
    assert render_template("e=${epochs} o=${opt}", flags) == "e=8 o=sgd"
    assert render_template("lr ${lr} ${fast}", flags) == "lr 3.14159 yes"
    assert render_template("${nosuch} stays", flags) == "${nosuch} stays"
    assert render_template("all: ${default_label}", flags) == "all: epochs=8 fast=yes lr=3.14159 opt=sgd"


def test_a_template_leaves_out_tags() -> None:
    assert run_label({"epochs": 8}, "run ${epochs}", ["keep"]) == "run 8"
    assert run_label({"epochs": 8}, "", ["keep"]) == ""




def _labeled_run(tmp_path: Path, blocked: str) -> Run:
    """A run labeled 'old' whose attribute ``blocked`` cannot be written (a
    folder stands where its file goes); its old value stays in the run's cache."""
    ctx = Context(home=tmp_path, cwd=tmp_path)
    run = store.init_run_dir(ctx, "r1")
    run.set("label", "old")
    run.set("label_template", "old")
    path = run.path / ".guild" / "attrs" / attrs.file_name(blocked)
    path.unlink()
    (path / "x").mkdir(parents=True)
    return run


@pytest.mark.parametrize("blocked, kept", [("label_template", "label"), ("label", "label_template")])
def test_a_label_that_cannot_be_written_changes_nothing(tmp_path: Path, blocked: str, kept: str) -> None:
    """`label --set` that fails part way (a full disk) reports the error and
    leaves the label and its template as they were."""
    run = _labeled_run(tmp_path, blocked)
    with pytest.raises(RunStoreError):
        label_runs([run], LabelEdit(set="new"))
    run.invalidate()
    assert run.get(kept) == "old"
