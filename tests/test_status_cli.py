"""``campaign status`` for people: long lists stay readable, ``--json`` keeps everything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
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
