"""``campaign status``: what it reports and the exit code a monitor acts on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.store import Ledger
from tests.ledger_helpers import as_worker, force_state, make_post

ME = "host:1:abcd"


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path) -> Ledger:
    """A ledger that ``campaign status`` finds through CAMPAIGN_DATABASE_URL."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    with Ledger.open(sqlite_url) as opened:
        yield opened


def status(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["status", *args])
    return result.exit_code, result.output


def beat(ledger: Ledger, ago: timedelta = timedelta(0), stopped: bool = False) -> None:
    worker = as_worker(ledger, ME)
    worker.beat(datetime.now(UTC) - ago)
    if stopped:
        worker.stop(datetime.now(UTC) - ago)


def test_no_daemon_ever_is_exit_3(ledger: Ledger):
    code, output = status()
    assert code == 3
    assert "no daemon has ever run" in output


@pytest.mark.parametrize(
    ("ago", "stopped", "args", "code"),
    [
        (timedelta(seconds=2), False, (), 0),
        (timedelta(minutes=5), False, (), 3),  # stale: the process died without a word
        (timedelta(seconds=2), True, (), 3),  # stopped cleanly: still not running
        (timedelta(minutes=5), True, ("--ran-within", "10"), 0),  # cron: ran recently
        (timedelta(minutes=20), True, ("--ran-within", "10"), 3),
    ],
)
def test_heartbeat_decides_whether_the_daemon_is_alive(
    ledger: Ledger, ago: timedelta, stopped: bool, args: tuple[str, ...], code: int
):
    beat(ledger, ago, stopped)
    assert status(*args)[0] == code


@pytest.mark.parametrize(
    ("state", "updated_ago", "code"),
    [
        ("unknown", timedelta(days=30), 4),  # always needs a person
        ("failed", timedelta(hours=1), 4),
        ("missed", timedelta(hours=1), 4),
        ("failed", timedelta(days=2), 0),  # outside the 24 h window
        ("sent", timedelta(hours=1), 0),
        ("cancelled", timedelta(hours=1), 0),
    ],
)
def test_posts_needing_a_person_make_it_exit_4(
    ledger: Ledger, state: str, updated_ago: timedelta, code: int
):
    post = make_post(at=datetime.now(UTC) + timedelta(hours=1))
    ledger.sync([post])
    force_state(ledger, post.id, state, updated_at=datetime.now(UTC) - updated_ago)
    beat(ledger)
    exit_code, output = status()
    assert exit_code == code
    assert ("needs a person" in output) == (code == 4)


def test_a_post_overdue_beyond_the_grace_window_makes_it_exit_4(ledger: Ledger):
    """Still scheduled long after its time: nothing is publishing it (e.g. no credentials)."""
    post = make_post(at=datetime.now(UTC) - timedelta(hours=1))
    ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=2))
    beat(ledger)
    code, output = status()
    assert code == 4
    assert "overdue" in output


def test_json_report(ledger: Ledger):
    soon = make_post("soon", at=datetime.now(UTC) + timedelta(minutes=5))
    done = make_post("done", at=datetime.now(UTC) + timedelta(minutes=6))
    ledger.sync([soon, done])
    force_state(ledger, done.id, "sent", remote_id="99", sent_at=datetime.now(UTC))
    beat(ledger)
    code, output = status("--json")
    report = json.loads(output)
    assert (code, report["healthy"], report["exit_code"]) == (0, True, 0)
    assert report["daemon"]["alive"] is True
    assert report["daemon"]["workers"][0]["worker"] == ME
    assert report["counts"] == {"scheduled": 1, "sent": 1}
    assert [p["id"] for p in report["next"]] == [soon.id]
    assert [p["remote_id"] for p in report["recent"]] == ["99"]
    assert report["attention"] == report["overdue"] == []
