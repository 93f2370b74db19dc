"""Resolving run arguments: indexes, ID prefixes, slices, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from guildlike.errors import AmbiguousRun, RunNotFound
from guildlike.store import select
from guildlike.store.run import Run


def runs(*ids: str) -> list[Run]:
    return [Run(i, Path("/nowhere") / i) for i in ids]


RUNS = runs("cafe0003", "cafe0002", "beef0001", "2", "12ab")


def ids(found: list[Run]) -> list[str]:
    return [r.id for r in found]


def test_latest_when_no_spec() -> None:
    assert select.select_one(RUNS, None).id == "cafe0003"


def test_no_runs_at_all() -> None:
    with pytest.raises(RunNotFound) as e:
        select.select_one([], None)
    assert e.value.message == "no matching runs"
    assert e.value.hints == []


def test_index_first() -> None:
    assert select.select_one(RUNS, "1").id == "cafe0003"
    assert select.select_one(RUNS, "3").id == "beef0001"
    # "2" is an index before it is the ID of the fourth run.
    assert select.select_one(RUNS, "2").id == "cafe0002"


def test_a_number_is_an_index_never_an_id_prefix() -> None:
    """As in Guild: '12' with five runs matches nothing, not the run whose id starts with 12."""
    with pytest.raises(RunNotFound, match="could not find a run matching '12'"):
        select.select_one(RUNS, "12")
    assert select.select_one(RUNS, "12a").id == "12ab"  # with a letter it is a prefix
    assert select.select_one(runs("aaaa", "77"), "77").id == "77"  # a whole id made of digits


def test_prefix_and_exact_id() -> None:
    assert select.select_one(RUNS, "beef").id == "beef0001"
    assert select.select_one(RUNS, "cafe0002").id == "cafe0002"


def test_ambiguous_prefix_lists_short_ids_newest_first() -> None:
    with pytest.raises(AmbiguousRun) as e:
        select.select_one(RUNS, "cafe")
    err = e.value
    assert err.prefix is False
    assert err.exit_code == 1
    assert err.message == "'cafe' matches multiple runs:"
    assert err.hints == ["  cafe0003", "  cafe0002"]


def test_not_found_names_the_command_help() -> None:
    with pytest.raises(RunNotFound) as e:
        select.select_one(RUNS, "feedface", "runs info")
    assert e.value.message == "could not find a run matching 'feedface'"
    assert e.value.hints == [
        "Try 'guildlike runs list' for a list or 'guildlike runs info --help' for more information."
    ]


def test_not_found_without_a_command() -> None:
    with pytest.raises(RunNotFound) as e:
        select.select_one(RUNS, "9x", None)
    assert e.value.hints == ["Try 'guildlike runs list' for a list."]


def test_index_zero_is_not_an_index() -> None:
    with pytest.raises(RunNotFound):
        select.select_one(RUNS, "0")


def test_select_many_keeps_order_without_duplicates() -> None:
    assert ids(select.select_many(RUNS, ["3", "1", "beef", "1"])) == ["beef0001", "cafe0003"]


def test_select_many_slices() -> None:
    assert ids(select.select_many(RUNS, ["1:2"])) == ["cafe0003", "cafe0002"]
    assert ids(select.select_many(RUNS, ["4:"])) == ["2", "12ab"]
    assert ids(select.select_many(RUNS, [":1"])) == ["cafe0003"]


def test_select_many_ambiguous_and_missing() -> None:
    with pytest.raises(AmbiguousRun):
        select.select_many(RUNS, ["cafe"])
    with pytest.raises(RunNotFound):
        select.select_many(RUNS, ["1", "zzz"])



def test_a_missing_deleted_run_points_at_the_deleted_list() -> None:
    with pytest.raises(RunNotFound) as e:
        select.select_many(RUNS, ["zz"], "runs purge", deleted=True)
    assert "'guildlike runs list -d'" in e.value.hints[0]
