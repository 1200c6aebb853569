"""``campaign status`` and ``campaign run --once`` tell the truth: only live daemons are
"running", a sent post shows when it went out, and a run that left posts for a person says so
in its exit code."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.store import Ledger
from campaign.store.states import SENT
from tests.daemon_helpers import daemon_env, run_cli, texts_on, x_posts
from tests.fakes.x_api import FakeX
from tests.ledger_helpers import as_worker, force_state, make_post


@pytest.fixture
def ledger(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """An empty ledger that ``campaign status`` finds through the environment."""
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    with Ledger.open(sqlite_url) as opened:
        yield opened


def status(*args: str) -> Result:
    return CliRunner().invoke(app, ["status", *args], catch_exceptions=False)


def dead_pid() -> int:
    """The process id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_daemon_on_this_host_whose_process_is_gone_is_not_running(ledger: Ledger) -> None:
    worker = f"{socket.gethostname()}:{dead_pid()}:killed9"
    as_worker(ledger, worker).beat(datetime.now(UTC))
    people = status()
    assert people.exit_code == 3, people.output
    assert "daemon running" not in people.output
    assert "daemon not running" in people.output
    daemon = json.loads(status("--json").stdout)["daemon"]
    assert (daemon["alive"], daemon["running"]) == (False, False)
    assert [(w["worker"], w["alive"]) for w in daemon["workers"]] == [(worker, False)]


def test_a_live_daemon_on_this_host_is_running(ledger: Ledger) -> None:
    worker = f"{socket.gethostname()}:{os.getppid()}:alive"
    as_worker(ledger, worker).beat(datetime.now(UTC))
    people = status()
    assert people.exit_code == 0, people.output
    assert f"daemon running {worker}" in people.output


def test_a_run_that_ended_counts_within_ran_within_but_is_not_running(ledger: Ledger) -> None:
    worker = "cron-host:4242:once"
    now = datetime.now(UTC)
    as_worker(ledger, worker).beat(now - timedelta(minutes=2))
    as_worker(ledger, worker).stop(now - timedelta(minutes=1))
    people = status("--ran-within", "5")
    assert people.exit_code == 0, people.output
    assert "daemon running" not in people.output
    assert f"daemon ran {worker}: its last run ended" in people.output
    machines = json.loads(status("--ran-within", "5", "--json").stdout)
    assert (machines["daemon"]["alive"], machines["daemon"]["running"]) == (True, False)
    [entry] = machines["daemon"]["workers"]
    assert (entry["alive"], entry["running"], entry["stopped"]) == (True, False, True)


def test_recently_sent_shows_when_a_post_went_out_not_when_it_was_planned(
    ledger: Ledger,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    planned, sent = now - timedelta(hours=5), now - timedelta(hours=2)
    post = make_post("late", at=planned)
    ledger.sync([post], now=planned - timedelta(days=1))
    force_state(ledger, post.id, SENT, remote_id="r1", sent_at=sent)
    [line] = [line for line in status().output.splitlines() if post.id in line]
    zone = ZoneInfo("Europe/Amsterdam")
    assert sent.astimezone(zone).strftime("sent %Y-%m-%d %H:%M %Z") in line
    assert planned.astimezone(zone).strftime("%H:%M") not in line


# --- run --once: its exit code says when posts need a person ---------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "state"), [("reject", "failed"), ("drop", "unknown")], ids=["failed", "unknown"]
)
def test_run_once_exits_4_when_a_post_ended_failed_or_unknown(
    sqlite_url: str, fake_x: FakeX, tmp_path: Path, fault: str, state: str
) -> None:
    bad, good = x_posts(2, datetime.now(UTC))
    with Ledger.open(sqlite_url) as ledger:
        ledger.sync([bad, good], now=datetime.now(UTC) - timedelta(minutes=1))
    fake_x.timeline_visible = False  # a dropped answer cannot be settled by looking back
    fake_x.fault("publish", fault)  # posts go out in time order: the first one fails
    done = run_cli(daemon_env(sqlite_url, fake_x), tmp_path, "run", "--once")
    assert done.returncode == 4, done.stderr
    with Ledger.open(sqlite_url, create=False) as ledger:
        states = {post.id: post.state for post in ledger.list()}
    failed_id = next(pid for pid, st in states.items() if st == state)
    assert sorted(states.values()) == sorted([state, SENT])
    assert f"{failed_id} (twitter, {state})" in done.stderr
    assert len(texts_on(fake_x)) == (2 if fault == "drop" else 1)
