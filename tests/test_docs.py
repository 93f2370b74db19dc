"""The documentation is tested: help texts, the CLI reference, and README.md.

Every command and option has help, every command's help shows examples that
parse, the lazy ``guildlike --help`` listing agrees with each command's own
short help, ``docs/cli.md`` is current, and every command README.md shows
runs (see ``readme_commands.py``).
"""

from __future__ import annotations

import difflib
import inspect
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import readme_commands
from click.testing import CliRunner

from guildlike.cli import main as climain
from guildlike.cli import reference

ROOT = Path(__file__).resolve().parent.parent
CONTEXTS = {ctx.command_path: ctx for ctx, _ in reference.iter_commands()}
COMMANDS = [(ctx.command_path, cmd) for ctx, cmd in reference.iter_commands()]
IDS = [path for path, _ in COMMANDS]


def test_the_walk_finds_every_command() -> None:
    for want in ("guildlike run", "guildlike runs list", "guildlike runs log", "guildlike import",
                 "guildlike check", "guildlike tag"):
        assert want in IDS
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_command_and_options_have_help(path: str, cmd: click.Command) -> None:
    assert (cmd.help or "").strip(), f"{path} has no help text"
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{path} {param.opts[0]} has no help text"


def examples(cmd: click.Command) -> list[str]:
    """The command lines under ``Examples:`` in a command's help."""
    text = inspect.cleandoc(cmd.help or "")
    if "Examples:" not in text:
        return []
    tail = text.split("Examples:", 1)[1]
    return [line.strip() for line in tail.splitlines() if line.strip().startswith("guildlike")]


@pytest.mark.parametrize("path,cmd", COMMANDS[1:], ids=IDS[1:])
def test_command_help_has_examples(path: str, cmd: click.Command) -> None:
    text = inspect.cleandoc(cmd.help or "")
    assert "Examples:\n\n\b\n" in text, f"{path}: no 'Examples:' section with a \\b block"
    found = examples(cmd)
    assert found, f"{path}: the Examples: section shows no command"
    help_text = cmd.get_help(CONTEXTS[path])
    assert "-h, --help" in help_text
    assert "guildlike" in help_text.split("Examples:", 1)[1]


@pytest.mark.parametrize("path,cmd", COMMANDS[1:], ids=IDS[1:])
def test_examples_parse(path: str, cmd: click.Command, tmp_path: Path) -> None:
    """Each example's options exist: with --help added, only parsing happens."""
    runner = CliRunner()
    for line in examples(cmd):
        args = shlex.split(line)[1:] + ["--help"]
        result = runner.invoke(climain.cli, args, env={"GUILDLIKE_HOME": str(tmp_path)})
        assert result.exit_code == 0, f"{line}:\n{result.output}"
        assert result.output.startswith("Usage: "), line


def test_lazy_short_help_is_each_commands_own() -> None:
    """``main.COMMANDS`` copies each command's short help so that ``guildlike
    --help`` imports no command module; the copies must not drift."""
    ctx = click.Context(climain.cli)
    for name, (_, _, short) in climain.COMMANDS.items():
        cmd = climain.cli.get_command(ctx, name)
        assert cmd is not None
        own = cmd.get_short_help_str(limit=1000)
        assert short == own, f"main.COMMANDS[{name!r}] is {short!r}; the command's own short help is {own!r}"
        assert not own.endswith("..."), f"{name}: the first sentence of its help is too long for a listing"


def test_top_level_help_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from guildlike.cli.main import main\n"
        "main(['--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('guildlike.cli.') and m.endswith('_cmd')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]", out
    for name in climain.COMMANDS:
        assert f"  {name} " in out


def test_cli_reference_is_current() -> None:
    page = ROOT / "docs" / "cli.md"
    want = reference.page()
    have = page.read_text(encoding="utf-8") if page.exists() else ""
    if have != want:
        diff = "".join(list(difflib.unified_diff(have.splitlines(True), want.splitlines(True), "docs/cli.md", "help"))[:30])
        pytest.fail(f"docs/cli.md is stale: run `{reference.REFRESH}` to refresh it\n{diff}", pytrace=False)


def test_cli_reference_shows_every_command() -> None:
    page = reference.page()
    for path, cmd in COMMANDS:
        assert f"## {path}\n" in page
        for line in examples(cmd):
            assert line in page
    assert reference.REFRESH in page.split("\n## ", 1)[0]


def test_readme_blocks_are_found() -> None:
    text = "Intro:\n\n    guildlike runs   # list\n    guildlike ls 1\n\nNot code.\n    not a block\n"
    blocks = readme_commands.readme_blocks(text)
    assert [(b.line, b.commands) for b in blocks] == [(3, ["guildlike runs   # list", "guildlike ls 1"])]
    assert readme_commands.choose_project(["guildlike run pipeline -y"]) == "demo"
    assert readme_commands.choose_project(["guildlike runs"]) is None


def test_readme_commands_work(tmp_path: Path) -> None:
    """Every command README.md shows runs, in order, in a temporary home."""
    blocks = readme_commands.readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sum(len(b.commands) for b in blocks) >= 20, "README.md shows fewer commands than expected"
    problems = readme_commands.Reader(tmp_path).run_blocks(blocks)
    assert not problems, "\n\n".join(problems)


def test_readme_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = readme.split("## Documentation", 1)[1] if "## Documentation" in readme else ""
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in docs, f"README.md's Documentation list does not link docs/{page.name}"
