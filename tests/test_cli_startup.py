"""A fast command line: ``campaign --help`` and every command's ``--help`` run, in a fresh
interpreter, with the database, scheduler, length and platform libraries unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from campaign.cli import app
from tests.test_imports import HEAVY

# Runs ``campaign ARGS`` with every import of a HEAVY package refused.
WITHOUT_HEAVY = """
import sys
from importlib.abc import MetaPathFinder

HEAVY = set(sys.argv[1].split(","))

class Refuse(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            raise ImportError(f"{name} must not be imported here")
        return None

sys.meta_path.insert(0, Refuse())
sys.argv = ["campaign", *sys.argv[2:]]
from campaign.cli import main
main()
"""


def _command_paths() -> list[list[str]]:
    root: Any = typer.main.get_command(app)
    found: list[list[str]] = [[]]
    for name, command in root.commands.items():
        found.append([name])
        found.extend([name, sub] for sub in getattr(command, "commands", {}))
    return found


def _campaign(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_HEAVY, ",".join(HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={"COLUMNS": "100", "PATH": "", "CAMPAIGN_DEBUG": "1"},
    )


@pytest.mark.parametrize("command", _command_paths(), ids=" ".join)
def test_help_runs_without_the_heavy_libraries(command: list[str]) -> None:
    done = _campaign(*command, "--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert "Usage: campaign" in done.stdout


def test_the_refusal_is_real_a_command_that_needs_them_fails(tmp_path: Path) -> None:
    """The same harness, running a command that does need the ledger: it cannot start."""
    done = _campaign("queue", cwd=tmp_path)
    assert done.returncode != 0
    assert "must not be imported here" in done.stderr
    assert list(tmp_path.iterdir()) == []
