"""The ledger cannot be written (a full disk, a read-only file) just after a post went out
(issue 11, point 7): the daemon keeps trying to record the outcome until it can, never
sends the post again, and says it cannot work, so ``campaign status`` exits 4 naming why.

In-process on a real SQLite ledger and the fake X. Writes are made to fail on the daemon's
own connections the moment X has stored the post: with SQLite's ``query_only`` (every
write is refused, as on a read-only file), or with a trigger refusing only the post's
outcome as a full disk would ("database or disk is full") while the heartbeat still fits.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from typer.testing import CliRunner

from campaign.cli import app
from campaign.daemon.config import DaemonSettings
from campaign.daemon.runtime import Runtime, run_once
from campaign.daemon.status import check
from campaign.store import Ledger
from campaign.store.worker import heartbeats
from tests.daemon_helpers import texts_on, wait_for, x_posts
from tests.fakes.x_api import FakeX

Settings = Callable[..., DaemonSettings]
Open = Callable[..., Runtime]
FULL = "database or disk is full"


class BreakingX(FakeX):
    """The fake X, which calls ``then`` once it has stored a post, before it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.then: Callable[[], None] = lambda: None

    def _store(self, text: str, reply_to: str | None, media_ids: list[str]) -> Any:
        stored = super()._store(text, reply_to, media_ids)
        self.then()
        return stored


@pytest.fixture
def breaking_x() -> Any:
    with BreakingX() as fake:
        yield fake


def refuse_writes_once_stored(runtime: Runtime, x: BreakingX) -> Callable[[], None]:
    """From the moment ``x`` has stored a post, every connection of the daemon's ledger, those
    it already holds included, is read-only until the returned function is called (space
    freed)."""
    connections: list[sqlite3.Connection] = []
    refused = threading.Event()

    def read_only(connection: sqlite3.Connection) -> None:
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed since
            connection.execute(f"PRAGMA query_only = {int(refused.is_set())}")

    @event.listens_for(runtime.ledger.engine, "connect")
    def _remember(dbapi_connection: Any, _record: Any) -> None:
        connections.append(dbapi_connection)
        read_only(dbapi_connection)

    def turn(refuse: bool) -> None:
        if refuse:
            refused.set()
        else:
            refused.clear()
        for connection in list(connections):
            read_only(connection)

    runtime.ledger.engine.dispose()  # every connection from here on is remembered
    x.then = lambda: turn(True)
    return lambda: turn(False)


def start(runtime: Runtime, errors: list[SQLAlchemyError] | None = None) -> threading.Thread:
    """``campaign run --once`` in a thread; ``errors`` collects the ledger errors it ends with
    (after giving up, its next read of a still unwritable SQLite ledger fails too)."""

    def run() -> None:
        try:
            run_once(runtime)
        except SQLAlchemyError as exc:
            if errors is None:
                raise
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker


def test_an_outcome_that_cannot_be_written_is_recorded_once_it_can_never_sent_twice(
    daemon_settings: Settings,
    open_runtime: Open,
    breaking_x: BreakingX,
    caplog: pytest.LogCaptureFixture,
):
    (post,) = x_posts(1, datetime.now(UTC))
    runtime = open_runtime(daemon_settings(x=breaking_x, backoff_seconds=0.01, poll_seconds=0.05))
    runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(minutes=1))
    free = refuse_writes_once_stored(runtime, breaking_x)
    with (
        caplog.at_level(logging.INFO, logger="campaign"),
        Ledger.open(runtime.settings.ledger_url()) as look,
    ):
        worker = start(runtime)
        wait_for(lambda: runtime.publisher.write_problem is not None, what="a failed write")
        assert "readonly" in (runtime.publisher.write_problem or "")
        assert look.get(post.id).state == "sending"
        assert worker.is_alive(), "the daemon keeps trying to record it"
        free()
        worker.join(15)
        assert not worker.is_alive()
        recorded = look.get(post.id)
    (tweet,) = breaking_x.tweets
    assert (recorded.state, recorded.remote_id) == ("sent", tweet.id)
    assert texts_on(breaking_x) == [post.text]
    assert runtime.publisher.write_problem is None
    events = [getattr(r, "fields", {}).get("event") for r in caplog.records]
    assert events.count("ledger_write_failed") == 1
    assert events.count("ledger_write_recovered") == 1


def test_status_exits_4_naming_why_while_the_daemon_cannot_record_outcomes(
    daemon_settings: Settings,
    open_runtime: Open,
    breaking_x: BreakingX,
    monkeypatch: pytest.MonkeyPatch,
):
    (post,) = x_posts(1, datetime.now(UTC))
    runtime = open_runtime(daemon_settings(x=breaking_x, backoff_seconds=0.01, poll_seconds=0.05))
    runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(minutes=1))
    with runtime.ledger.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER outcome_full BEFORE UPDATE ON posts WHEN OLD.state = 'sending' "
                f"BEGIN SELECT RAISE(ABORT, '{FULL}'); END"
            )
        )
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", runtime.settings.ledger_url())
    with runtime.alive():
        worker = start(runtime)
        wait_for(
            lambda: any(beat.problem for beat in heartbeats(runtime.ledger)),
            what="the heartbeat to carry the problem",
        )
        health = check(
            runtime.ledger,
            datetime.now(UTC),
            stale_after=timedelta(minutes=1),
            grace=timedelta(minutes=15),
        )
        assert health.exit_code == 4
        (problem,) = health.problems
        assert FULL in problem
        shown = CliRunner().invoke(app, ["status"])
        assert shown.exit_code == 4
        said = " ".join(shown.output.split())  # however the terminal wraps it
        assert "cannot work" in said
        assert FULL in said
        assert runtime.ledger.get(post.id).state == "sending"

        with runtime.ledger.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER outcome_full"))
        worker.join(15)
        assert not worker.is_alive()
        wait_for(
            lambda: not any(beat.problem for beat in heartbeats(runtime.ledger)),
            what="the heartbeat to be clear again",
        )
    assert runtime.ledger.get(post.id).state == "sent"
    assert len(breaking_x.tweets) == 1


def test_a_daemon_stopping_while_writes_fail_gives_up_loudly_and_leaves_the_post_in_sending(
    daemon_settings: Settings,
    open_runtime: Open,
    breaking_x: BreakingX,
    caplog: pytest.LogCaptureFixture,
):
    (post,) = x_posts(1, datetime.now(UTC))
    runtime = open_runtime(daemon_settings(x=breaking_x, backoff_seconds=0.01, poll_seconds=0.05))
    runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(minutes=1))
    refuse_writes_once_stored(runtime, breaking_x)
    errors: list[SQLAlchemyError] = []
    with caplog.at_level(logging.INFO, logger="campaign"):
        worker = start(runtime, errors)
        wait_for(lambda: runtime.publisher.write_problem is not None, what="a failed write")
        runtime.stop.set()
        worker.join(15)
        assert not worker.is_alive()
    (critical,) = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert f"campaign resolve {post.id}" in critical.getMessage()
    assert all("readonly" in str(error) for error in errors)
    with Ledger.open(runtime.settings.ledger_url()) as look:
        assert look.get(post.id).state == "sending"
    assert len(breaking_x.tweets) == 1
