"""Run list rows: column padding and the project shown after the operation."""

from __future__ import annotations

import os
from pathlib import Path

from guildlike.cli.rows import project_suffix, shorten_path, table


def test_table_pads_all_but_the_last_column() -> None:
    rows = [["[1:abc]", "fit", "completed", "x=1"], ["[2:abcdefgh]", "prep", "error", ""]]
    assert table(rows) == [
        "[1:abc]       fit   completed  x=1",
        "[2:abcdefgh]  prep  error      ",
    ]
    assert table([]) == []


def test_project_suffix() -> None:
    here = Path("/w/projects/models")
    assert project_suffix("/w/projects/models", here) == ""
    assert project_suffix("", here) == ""
    assert project_suffix("/w/projects/models/sub/proj", here) == " (sub/proj)"
    assert project_suffix("/w/projects", here) == " (..)"
    assert project_suffix("/w/projects/basics", here) == " (../basics)"
    assert project_suffix("/elsewhere/proj", here) == " (/elsewhere/proj)"
    home = os.path.expanduser("~")
    assert project_suffix(os.path.join(home, "proj"), here) == " (~/proj)"


def test_long_projects_are_shortened_by_whole_folders() -> None:
    assert shorten_path("/home/ada/src/samples/projects/basics") == "/home/\u2026/projects/basics"
    assert shorten_path("~/code/experiments/alpha/projects/deep/proj") == "~/code/\u2026/projects/deep/proj"
    assert shorten_path("short/path") == "short/path"
    long_name = "/x/" + "n" * 40
    assert shorten_path(long_name) == "\u2026" + "n" * 27
    for p in ["/home/ada/src/samples/projects/basics", long_name, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o"]:
        assert len(shorten_path(p)) <= 28
    here = Path("/")
    suffix = project_suffix("/home/ada/src/samples/projects/basics", here)
    assert suffix == " (/home/\u2026/projects/basics)"
