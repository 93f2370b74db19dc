"""Unit tests for pipeline steps: parsing, link names, link resolution, ${flag} substitution."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guildlike.errors import GuildfileError, StepLinkError
from guildlike.guildfile.flags import SearchSpace
from guildlike.guildfile.opdef import OpDef
from guildlike.ops import pipeline as pipelinemod
from guildlike.ops import stepdefs as steps
from guildlike.store import links
from guildlike.store.run import Run


def pipeline(step_list: object, model: str = "") -> OpDef:
    return OpDef(name="p", model=model, steps=step_list)  # type: ignore[arg-type]


def test_link_names_number_repeats_by_position() -> None:
    parsed = steps.parse_steps(pipeline(["fail fail=no", "train", "fail fail=yes", {"run": "fail", "name": "x"}, "fail"]))
    assert [s.link_name for s in parsed] == ["fail", "train", "fail_2", "x", "fail_3"]
    assert [s.name for s in parsed] == ["fail", "train", "fail", "x", "fail"]


def test_step_options_and_flags() -> None:
    (s,) = steps.parse_steps(pipeline(["train x=[-2.0:2.0] --max-trials 3 --needed -t a -t b"]))
    assert s.opspec == "train"
    assert s.flag_items == [("x", "[-2.0:2.0]")]
    assert s.options == {"max_trials": "3", "needed": True, "tags": ["a", "b"]}


def test_mapping_step() -> None:
    (s,) = steps.parse_steps(pipeline([{"run": "train lr=1", "name": "t", "flags": {"x": 2}, "max-trials": 4}]))
    assert (s.link_name, s.opspec, s.flag_items, s.options["max_trials"]) == ("t", "train", [("lr", "1"), ("x", 2)], 4)


@pytest.mark.parametrize(
    "bad, text",
    [
        ("train", "must be a list"),
        ([42], "expected a string or a mapping"),
        ([{"run": ""}], "'run' must name an operation"),
        ([{"name": "x"}], "'run' must name an operation"),
        (["train --bogus"], "unsupported option '--bogus'"),
        (["train lr"], "expected NAME=VAL"),
        ([{"run": "train", "flgs": {}}], "did you mean 'flags'"),
        ([""], "empty step"),
    ],
)
def test_invalid_steps(bad: object, text: str) -> None:
    with pytest.raises(GuildfileError) as e:
        steps.parse_steps(pipeline(bad))
    assert text in e.value.message


def test_substitution_keeps_types_for_whole_references() -> None:
    (s,) = steps.parse_steps(pipeline(["train a=${a} b=${b} c=x-${a} d=${d} e=${e}"]))
    flags = {"a": 2, "b": False, "d": [1, 2], "e": SearchSpace("uniform", 0, 1, "[0:1]")}
    given = steps.step_flags(s, flags)
    assert given["a"] == 2 and given["b"] is False and given["c"] == "x-2"
    assert given["d"] == [1, 2]
    assert isinstance(given["e"], SearchSpace)


def test_undefined_and_recursive_references() -> None:
    (s,) = steps.parse_steps(pipeline(["train a=${nope}"]))
    with pytest.raises(GuildfileError, match="undefined flag reference"):
        steps.step_flags(s, {})
    (s,) = steps.parse_steps(pipeline(["train a=${a}"]))
    with pytest.raises(GuildfileError, match="not expanded recursively"):
        steps.step_flags(s, {"a": "${a}"})


def test_log_args_format() -> None:
    (s,) = steps.parse_steps(pipeline(["train x=[-2.0:2.0] --max-trials 3"]))
    given = steps.step_flags(s, {})
    assert steps.log_args(s, given, []) == "--max-trials 3 x='[-2.0:2.0]'"
    (s,) = steps.parse_steps(pipeline(["fail fail=[no,no,no]"]))
    assert steps.log_args(s, steps.step_flags(s, {}), ["--needed"]) == "--needed fail=[no, no, no]"


def test_step_opspec_applies_pipeline_model() -> None:
    p = pipeline(["emit", "beta:sink", "tool.py"], model="alpha")
    specs = [steps.step_opspec(p, s) for s in steps.parse_steps(p)]
    assert specs == ["alpha:emit", "beta:sink", "tool.py"]


def test_link_states(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    (runs / "step1").mkdir(parents=True)
    pdir = runs / "pipe"
    pdir.mkdir()
    os.symlink("../step1", pdir / "ok")
    os.symlink("../gone", pdir / "orphan")
    (pdir / "file").write_text("not a link")
    assert links.state(pdir / "ok") == "run"
    assert links.state(pdir / "orphan") == "dangling"
    assert links.state(pdir / "missing") == "missing"
    assert links.state(pdir / "file") == "other"
    assert links.linked_ids(pdir) == ["step1"]


def test_check_links_refuses_non_links(tmp_path: Path) -> None:
    pdir = tmp_path / "pipe"
    pdir.mkdir()
    (pdir / "fail").write_text("x")
    parsed = steps.parse_steps(pipeline(["fail", "fail"]))
    with pytest.raises(StepLinkError, match=r"unexpected step run link .*/fail: expected symlink"):
        pipelinemod.check_links(Run("pipe", pdir), parsed)


def test_point_link_replaces_dangling_link_atomically(tmp_path: Path) -> None:
    pdir = tmp_path / "pipe"
    pdir.mkdir()
    os.symlink("../old", pdir / "fail")
    links.point(pdir / "fail", "new")
    assert os.readlink(pdir / "fail") == "../new"
    assert sorted(os.listdir(pdir)) == ["fail"]


def test_step_link_names_that_clash_are_refused() -> None:
    """Two steps ``leaf`` and a third named ``leaf_2`` would share a link and lose a result."""
    with pytest.raises(GuildfileError, match=r"invalid step 3 of p: its link name 'leaf_2' is also the link of step 2"):
        steps.parse_steps(pipeline(["leaf x=1", "leaf x=2", {"run": "leaf x=3", "name": "leaf_2"}]))


@pytest.mark.parametrize(
    "name, message",
    [
        ("a\x00b", "control character"),
        ("new\nline", "control character"),
        (".guild", "cannot start with '.'"),
        ("x" * 300, "longer than 200 bytes"),
        (7, "name must be a string"),
    ],
)
def test_step_names_a_run_folder_cannot_hold_are_refused(name: object, message: str) -> None:
    with pytest.raises(GuildfileError, match=message):
        steps.parse_steps(pipeline([{"run": "leaf", "name": name}]))


def test_unbalanced_quote_and_bad_tags_in_a_mapping_step_are_one_line_errors() -> None:
    with pytest.raises(GuildfileError, match="No closing quotation"):
        steps.parse_steps(pipeline([{"run": "leaf x='1"}]))
    with pytest.raises(GuildfileError, match="tags must be a string or a list of strings"):
        steps.parse_steps(pipeline([{"run": "leaf", "tags": [1]}]))
