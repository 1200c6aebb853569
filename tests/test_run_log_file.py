"""``campaign run --log-file``: JSON log lines to stdout (``> log.jsonl``) or to a file."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.store import Ledger


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """``run`` configures the root logger; leave it as it was for the other tests."""
    names = ("", "campaign", "campaign.adapters", "apscheduler")
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in names]
    handlers = list(logging.getLogger().handlers)
    yield
    logging.getLogger().handlers[:] = handlers
    for logger, level in saved:
        logger.setLevel(level)


@pytest.fixture
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    Ledger.open(sqlite_url).close()
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    return sqlite_url


def run_once(*args: str) -> Result:
    return CliRunner().invoke(app, ["run", "--once", "--log-format", "json", *args])


def events(lines: str) -> list[str]:
    return [json.loads(line)["event"] for line in lines.splitlines()]


@pytest.mark.usefixtures("db")
def test_dash_sends_json_lines_to_stdout_and_nothing_to_stderr() -> None:
    result = run_once("--log-file", "-")
    assert result.exit_code == 0, result.output
    assert events(result.stdout) == ["started", "stopped"]
    assert result.stderr == ""


@pytest.mark.usefixtures("db")
def test_a_file_is_appended_to(tmp_path: Path) -> None:
    log = tmp_path / "daemon.jsonl"
    log.write_text('{"event": "earlier"}\n', encoding="utf-8")
    result = run_once("--log-file", str(log))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert events(log.read_text(encoding="utf-8")) == ["earlier", "started", "stopped"]
    logging.getLogger("campaign.daemon").error("after the run")  # not into the closed file


@pytest.mark.usefixtures("db")
def test_a_file_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    result = run_once("--log-file", str(tmp_path / "no-such-folder" / "log.jsonl"))
    assert result.exit_code == 1
    assert "--log-file" in result.stderr
    assert "or - for stdout" in result.stderr
