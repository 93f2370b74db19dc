"""Listing and reading run files (``ls``, ``cat``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guildlike.errors import GuildlikeError
from guildlike.store.files import list_files, read_file


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    for rel in ["a/x.txt", "a-b.txt", "a.txt", "out/deep/b.txt", ".guild/opref", ".hidden"]:
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(rel)
    os.symlink("out", d / "linked")
    os.symlink("nowhere", d / "dangling")
    os.symlink("a.txt", d / "file-link")
    return d


def test_list_sorted_with_dirs_ending_in_slash(run_dir: Path) -> None:
    assert list_files(run_dir, None) == [
        "a-b.txt",
        "a.txt",
        "a/",
        "a/x.txt",
        "dangling",
        "file-link",
        "linked/",
        "out/",
        "out/deep/",
        "out/deep/b.txt",
    ]


def test_hidden_entries(run_dir: Path) -> None:
    entries = list_files(run_dir, None, show_all=True)
    assert entries[:3] == [".guild/", ".guild/opref", ".hidden"]
    assert list_files(run_dir, ".guild") == [".guild/", ".guild/opref"]


def test_follow_links(run_dir: Path) -> None:
    entries = list_files(run_dir, None, follow=True)
    assert "linked/deep/b.txt" in entries


def test_path_and_globs(run_dir: Path) -> None:
    assert list_files(run_dir, "out") == ["out/", "out/deep/", "out/deep/b.txt"]
    assert list_files(run_dir, "out/") == ["out/", "out/deep/", "out/deep/b.txt"]
    assert list_files(run_dir, "a.txt") == ["a.txt"]
    assert list_files(run_dir, "*.txt") == ["a-b.txt", "a.txt", "a/x.txt", "out/deep/b.txt"]
    assert list_files(run_dir, "nothing") == []


def test_paths_outside_the_run_are_refused(run_dir: Path) -> None:
    for bad in ["../x", "/etc/passwd", "a/../../x"]:
        with pytest.raises(GuildlikeError, match="outside the run directory"):
            list_files(run_dir, bad)
        with pytest.raises(GuildlikeError, match="outside the run directory"):
            read_file(run_dir, bad)


def test_read_file(run_dir: Path) -> None:
    assert read_file(run_dir, "a/x.txt") == b"a/x.txt"
    with pytest.raises(GuildlikeError, match="a is a directory"):
        read_file(run_dir, "a")
    with pytest.raises(GuildlikeError, match="no such file nope in run run"):
        read_file(run_dir, "nope")
