"""The command line: every command has help, errors get one handler and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from guildlike.cli import main as climain


def all_commands() -> list[list[str]]:
    out: list[list[str]] = [[]]
    ctx = click.Context(climain.cli)
    for name in climain.cli.list_commands(ctx):
        cmd = climain.cli.get_command(ctx, name)
        assert cmd is not None, name
        out.append([name])
        if isinstance(cmd, click.Group):
            for sub in cmd.list_commands(ctx):
                out.append([name, sub])
    return out


COMMANDS = all_commands()


def test_the_issue_commands_are_there() -> None:
    names = {" ".join(c) for c in COMMANDS}
    for want in ["run", "runs", "runs list", "runs info", "runs delete", "runs restore",
                 "runs purge", "select", "ls", "cat", "label", "tag", "operations"]:
        assert want in names


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "guildlike")
def test_help(words: list[str], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(climain.cli, [*words, "--help"], env={"GUILDLIKE_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {' '.join(['cli', *words])}") or result.output.startswith("Usage:")
    assert "--help" in result.output
    # -h works too.
    result = runner.invoke(climain.cli, [*words, "-h"], env={"GUILDLIKE_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output


def test_filter_options_in_help() -> None:
    runner = CliRunner()
    for words in (["runs", "list"], ["select"], ["ls"], ["cat"], ["label"], ["tag"], ["runs", "delete"]):
        out = runner.invoke(climain.cli, [*words, "--help"]).output
        for opt in ("-Fo, --operation", "-Fl, --label", "-Ft, --tag", "-Fs, --started", "-Sc, --completed"):
            if words == ["label"] and opt == "-Fl, --label":
                continue
            assert opt in out, (words, opt)


def test_version() -> None:
    result = CliRunner().invoke(climain.cli, ["--version"])
    assert result.exit_code == 0
    assert "guildlike" in result.output


def run_main(argv: list[str], home: Path, capsys: pytest.CaptureFixture[str], cwd: Path | None = None) -> tuple[int, str, str]:
    old_env = os.environ.get("GUILDLIKE_HOME")
    old_cwd = os.getcwd()
    os.environ["GUILDLIKE_HOME"] = str(home)
    try:
        if cwd:
            os.chdir(cwd)
        code = climain.main(argv)
    finally:
        os.chdir(old_cwd)
        if old_env is None:
            os.environ.pop("GUILDLIKE_HOME", None)
        else:
            os.environ["GUILDLIKE_HOME"] = old_env
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_no_runs_is_not_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["runs"], tmp_path, capsys) == (0, "", "")
    assert run_main(["runs", "-s"], tmp_path, capsys) == (0, "", "")


def test_library_errors_print_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["select"], tmp_path, capsys)
    assert (code, out, err) == (1, "", "guildlike: no matching runs\n")
    code, out, err = run_main(["runs", "--started", "sometime"], tmp_path, capsys)
    assert code == 1
    assert err == (
        "guildlike: invalid RANGE: unexpected 'sometime' at position 0\n"
        "Try 'guildlike runs list --help' for help specifying time ranges.\n"
    )


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["runs", "-n", "0"], tmp_path, capsys)
    assert code == 2
    assert err == (
        "guildlike: Invalid value for '-n' / '--limit': 0 is not in the range x>=1.\n"
        "Try 'guildlike runs --help' for more information.\n"
    )
    code, _, err = run_main(["nosuch"], tmp_path, capsys)
    assert code == 2
    assert "No such command 'nosuch'" in err


def test_unknown_operation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "guild.yml").write_text("train:\n  main: train\n")
    code, _, err = run_main(["run", "nosuch", "-y"], tmp_path / "home", capsys, cwd=tmp_path)
    assert code == 1
    assert err == (
        "guildlike: operation 'nosuch' is not defined for this project\n"
        "Try 'guildlike operations' for a list of available operations.\n"
    )


def test_declined_prompt_exits_4(tmp_path: Path) -> None:
    """A real process, answering no on stdin."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "hi.py").write_text("print('hi')\n")
    env = dict(os.environ, GUILDLIKE_HOME=str(tmp_path / "home"))
    cmd = [sys.executable, "-m", "guildlike"]
    p = subprocess.run(cmd + ["run", "hi.py", "-y"], cwd=project, env=env, capture_output=True, text=True)
    assert (p.returncode, p.stdout) == (0, "hi\n")
    p = subprocess.run(cmd + ["runs", "delete", "1"], cwd=project, env=env, input="n\n",
                       capture_output=True, text=True)
    assert p.returncode == 4
    assert p.stderr.startswith("You are about to delete the following runs:\n  [")
    assert p.stderr.endswith("Delete 1 run(s)? (Y/n) ")
    p = subprocess.run(cmd + ["runs", "delete", "1"], cwd=project, env=env, input="\n",
                       capture_output=True, text=True)
    assert p.returncode == 0
    assert p.stderr.endswith("Delete 1 run(s)? (Y/n) Deleted 1 run(s)\n")
