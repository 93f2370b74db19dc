"""Run data never reaches the terminal raw: control characters are escaped in
every listing and message, so a label cannot forge a row or move the cursor.
``cat`` stays raw: a file is the user's data."""

from __future__ import annotations

import json

import pytest
from reliability_support import Env, assert_clean_error, parse_rows

from guildlike.util.text import escape_lines, escape_text

FORGED = "ok\n[9:deadbeef]  quick  2026-01-01 00:00:00  completed  forged\x1b[2K\rnext\x07\x9b31m\u202e"
RAW = ("\x1b", "\r", "\x07", "\x9b", "\u202e")


def _no_raw_controls(text: str) -> None:
    for ch in RAW:
        assert ch not in text, (ch, text)


@pytest.mark.parametrize(
    "raw,shown",
    [
        ("plain text, ünïcode \\ and tabs?", "plain text, ünïcode \\ and tabs?"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x00\x1b[31m\x7f", "\\x00\\x1b[31m\\x7f"),
        ("\x85\x9b", "\\x85\\x9b"),
        ("\udc80", "\\udc80"),
        ("\u2028\u202e\u2066", "\\u2028\\u202e\\u2066"),
    ],
)
def test_escape_text(raw: str, shown: str) -> None:
    assert escape_text(raw) == shown
    assert escape_text(shown) == shown  # escaping twice changes nothing
    if "\n" not in raw:
        assert escape_lines(raw + "\n" + raw) == shown + "\n" + shown


def test_label_cannot_forge_a_row(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    genv.ok("run", "-y", "quick", "--label", FORGED)
    genv.ok("label", "-y", "2", "--set", "second\r\x1b[1A")
    for args in ([], ["-s"]):
        res = genv.ok("runs", *args)
        assert len(res.out.splitlines()) == 2, res.out
        _no_raw_controls(res.out)
    rows = parse_rows(genv.ok("runs").out)
    assert rows[0].label == escape_text(FORGED)
    # a confirmation lists the runs in the same way
    res = genv.gl("runs", "delete", input="n\n")
    assert len([ln for ln in res.err.splitlines() if ln.startswith("  [")]) == 2, res.err
    _no_raw_controls(res.err)


def test_info_log_select_and_tags_are_escaped(genv: Env) -> None:
    genv.ok("run", "-y", "quick", f"msg={FORGED}", "--label", FORGED, "--tag", "t\n- forged")
    info = genv.ok("runs", "info").out
    _no_raw_controls(info)
    assert f"label: {escape_text(FORGED)}" in info.splitlines()
    assert "  - t\\n- forged" in info.splitlines()
    assert "  - forged" not in info.splitlines()
    assert not [ln for ln in info.splitlines() if ln.startswith("[9:deadbeef]")]
    log = genv.ok("runs", "log").out
    _no_raw_controls(log)
    assert not [ln for ln in log.splitlines() if ln.startswith("[9:deadbeef]")]
    assert genv.ok("select", "--attr", "label").out == escape_text(FORGED) + "\n"
    assert json.loads(genv.ok("runs", "info", "--json").out)["label"] == FORGED


def test_ls_escapes_file_names_and_cat_stays_raw(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    rid = genv.run_ids()[0]
    name = "a\nb\x1b[31m"
    (genv.run_dir(rid) / name).write_bytes(b"\x1b[31mred\r\n")
    res = genv.ok("ls")
    _no_raw_controls(res.out)
    assert "  a\\nb\\x1b[31m" in res.out.splitlines()
    p = genv.gl("cat", "-p", name)
    assert p.rc == 0 and p.out == "\x1b[31mred\r\n"


def test_errors_quoting_input_are_one_escaped_line(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    for args in (["runs", "info", "x\n\x1b[2Kforged"], ["select", "zz\rforged"], ["runs", "nosuch\x1b"]):
        res = genv.gl(*args)
        assert_clean_error(res)
        _no_raw_controls(res.err)
        assert "forged" not in "".join(res.err.splitlines()[1:]), res.err


def test_lone_surrogates_in_stored_labels_and_in_arguments(genv: Env) -> None:
    genv.ok("run", "-y", "quick")
    rid = genv.run_ids()[0]
    (genv.run_dir(rid) / ".guild" / "attrs" / "label.tmp").write_text('"\\udc80x\\ud800"')
    (genv.run_dir(rid) / ".guild" / "attrs" / "label.tmp").rename(genv.run_dir(rid) / ".guild" / "attrs" / "label")
    assert parse_rows(genv.ok("runs").out)[0].label == "\\udc80x\\ud800"
    assert "label: \\udc80x\\ud800" in genv.ok("runs", "info").out.splitlines()
    genv.ok("check")
    res = genv.gl("label", "-y", "--set", "bad\udcff")  # a byte that is not UTF-8
    assert_clean_error(res)
    assert "not valid UTF-8" in res.err
