"""Help for people: ``-h`` is ``--help`` everywhere, no Python types or ``{paths}`` in any help
page, and ``campaign --version`` prints the installed version."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from tests.test_cli_startup import _command_paths

# What Typer shows when left alone: `<bool>`, `<list[Path]>`, `<text|json>`, `{paths}...`.
TYPE_NOISE = re.compile(r"<[\w\[\]|, %-]+>|\{\w+\}|\blist\[|\bbool\b")


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", _command_paths(), ids=" ".join)
def test_help_shows_no_python_types_and_h_is_help(command: list[str]) -> None:
    page = _help(*command, "--help")
    assert "Usage: campaign" in page
    assert not TYPE_NOISE.search(page), TYPE_NOISE.search(page)
    assert _help(*command, "-h") == page


def test_arguments_and_options_read_as_words() -> None:
    page = _help("preview", "--help")
    assert "Usage: campaign preview [OPTIONS] PATHS..." in page
    assert re.search(r"--platform\s+-p\s+TEXT", page)
    assert "[PLATFORM]" in _help("accounts", "check", "-h")
    assert "text|json" in _help("run", "-h")


def test_version_prints_the_package_version() -> None:
    assert _help("--version").strip() == f"campaign {version('campaign')}"
