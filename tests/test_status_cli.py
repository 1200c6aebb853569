"""``campaign status`` for people: long lists stay readable, ``--json`` keeps everything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from campaign.cli import app
from campaign.store import Ledger
from tests.ledger_helpers import make_post


def test_a_long_list_shows_ten_and_says_where_the_rest_are(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    now = datetime.now(UTC)
    posts = [make_post(f"e{n}", at=now - timedelta(hours=2, minutes=n)) for n in range(12)]
    with Ledger.open(sqlite_url) as ledger:
        report = ledger.sync(posts, now=now)
    assert len(report.missed) == 12

    people = CliRunner().invoke(app, ["status"])
    listed = [post.id for post in posts if post.id in people.output]
    assert (people.exit_code, len(listed)) == (3, 10)
    assert "… and 2 more: see `campaign queue --state missed`" in people.output

    machines = CliRunner().invoke(app, ["status", "--json"])
    assert len(json.loads(machines.output)["attention"]) == 12


@time_machine.travel(datetime(2027, 4, 20, 9, tzinfo=UTC), tick=False)
def test_a_linkedin_version_near_retirement_is_noted_without_changing_the_exit_code(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CAMPAIGN_LINKEDIN_ACCESS_TOKEN", "li-token-never-shown")
    monkeypatch.setenv("CAMPAIGN_LINKEDIN_VERSION", "202605")
    with Ledger.open(sqlite_url) as ledger:
        ledger.sync([], now=datetime.now(UTC))

    people = CliRunner().invoke(app, ["status"])
    machines = CliRunner().invoke(app, ["status", "--json"])

    assert (people.exit_code, machines.exit_code) == (3, 3)  # no daemon: as without the note
    words = " ".join(people.output.split())
    assert "note: LinkedIn: LinkedIn-Version 202605 retires on 2027-05-15, in 25 days" in words
    assert "such as 202703" in words
    [notice] = json.loads(machines.output)["notices"]
    assert notice.startswith("LinkedIn: LinkedIn-Version 202605 retires on 2027-05-15")
    assert "li-token-never-shown" not in people.output + machines.output
