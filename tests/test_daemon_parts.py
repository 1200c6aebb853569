"""The daemon's small parts: backoff, the account gate, worker identity, log formats."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from campaign.daemon.backoff import retry_delay
from campaign.daemon.identity import WorkerId, is_gone, live_workers
from campaign.daemon.logs import JsonFormatter, Redactor, TextFormatter, configure, event
from campaign.daemon.ratelimits import AccountGate
from campaign.store.worker import Heartbeat

NOW = datetime(2030, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8])
def test_backoff_doubles_with_jitter_and_a_cap(attempt: int):
    delays = {retry_delay(attempt, 30, 900, random.Random(seed)) for seed in range(50)}
    ceiling = min(900, 30 * 2 ** (attempt - 1))
    assert all(ceiling / 2 <= d.total_seconds() <= ceiling for d in delays)
    assert len(delays) > 40  # jittered, not in lockstep


def test_gate_blocks_one_account_until_its_reset():
    gate = AccountGate()
    gate.block("x:me", NOW + timedelta(minutes=15))
    assert gate.blocked_until("x:me", NOW) == NOW + timedelta(minutes=15)
    assert gate.blocked_until("mastodon:me", NOW) is None
    assert gate.blocked_until("x:me", NOW + timedelta(minutes=15)) is None
    assert gate.lane("x:me") is gate.lane("x:me")
    assert gate.lane("x:me") is not gate.lane("mastodon:me")


def beat(worker: str, ago: float, stopped: bool = False) -> Heartbeat:
    at = NOW - timedelta(seconds=ago)
    return Heartbeat(worker, "h", 1, at, at, stopped)


def test_which_workers_are_gone():
    me = WorkerId("here", os.getpid(), "new1")
    beats = [beat("there:7:live", 5), beat("there:8:stale", 120), beat("there:9:quit", 1, True)]
    live = live_workers(beats, NOW, timedelta(seconds=30))
    assert live == {"there:7:live"}
    assert not is_gone("there:7:live", me, live)
    assert is_gone("there:8:stale", me, live)
    assert is_gone("there:9:quit", me, live)
    assert is_gone(None, me, live)
    assert not is_gone(str(me), me, live)
    assert is_gone(f"here:{os.getpid()}:old0", me, live | {f"here:{os.getpid()}:old0"})
    assert WorkerId.parse("host.example:12:ab") == WorkerId("host.example", 12, "ab")
    assert WorkerId.parse("not a worker") is None


def record(message: str, **fields: object) -> logging.LogRecord:
    logger = logging.getLogger("campaign.daemon")
    return logger.makeRecord(
        logger.name, logging.ERROR, __file__, 1, message, (), None, extra={"fields": fields}
    )


def test_json_lines_carry_the_fields_and_never_a_secret():
    redact = Redactor.from_environment(
        {
            "CAMPAIGN_TWITTER_ACCESS_SECRET": "s3cr3t-value",
            "CAMPAIGN_POLL_SECONDS": "5",
            "CAMPAIGN_DATABASE_URL": "postgresql://u:pg-pass-word@db/c",
        }
    )
    line = JsonFormatter(redact).format(
        record(
            "refused s3cr3t-value and pg-pass-word",
            event="failed",
            post_id="abc",
            platform="twitter",
            state="failed",
        )
    )
    body = json.loads(line)
    assert body["event"] == "failed"
    assert (body["post_id"], body["platform"], body["state"]) == ("abc", "twitter", "failed")
    assert body["level"] == "ERROR"
    assert body["message"] == "refused *** and ***"
    assert "5" not in body["message"]  # only secret-looking variables are redacted


def test_text_lines_read_as_one_line_per_change():
    line = TextFormatter(Redactor([])).format(record("published", event="sent", post_id="abc"))
    assert line.endswith("ERROR   sent post_id=abc: published")


def test_configure_sends_campaign_events_as_json(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAMPAIGN_TWITTER_API_KEY", "key-that-is-secret")
    stream = io.StringIO()
    names = ("", "campaign", "campaign.adapters", "apscheduler")
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in names]
    handlers = list(logging.getLogger().handlers)
    configure("json", stream)
    try:
        event(logging.INFO, "sent", "used key-that-is-secret", post_id="p1")
        logging.getLogger("apscheduler.executors.default").info("Running job")
        logging.getLogger("campaign.adapters._x_adapter").info("published p1")
    finally:
        logging.getLogger().handlers[:] = handlers
        for logger, level in saved:
            logger.setLevel(level)
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "used ***"


def test_a_job_finding_the_lane_publishing_leaves_word_and_returns_at_once():
    """The publishing holder is told of a first post (a flag) and given a thread part's
    ticket; it gives the lane back only once it has looked again."""
    gate = AccountGate()
    lane = gate.publishing("twitter", "x:me")
    assert gate.hand_over("twitter") is None, "nobody is publishing yet"
    assert lane.enter("p1", None)
    outcomes: dict[str, object] = {}

    def job(post_id: str, ticket: object | None) -> None:
        outcomes[post_id] = lane.enter(post_id, ticket)

    for post_id, ticket in (("p2", None), ("part-2", "replies to p0")):
        worker = threading.Thread(target=job, args=(post_id, ticket))
        worker.start()
        worker.join(10)
        assert not worker.is_alive(), "a job waited for a busy lane"
    assert outcomes == {"p2": False, "part-2": False}
    assert gate.hand_over("twitter") == "x:me"
    assert gate.hand_over("mastodon") is None
    assert lane.take_next() == "replies to p0"
    assert lane.take_next() is None
    assert not lane.release_if_idle(), "word was left: look again first"
    assert lane.held
    assert lane.release_if_idle()
    assert not lane.held
    assert not gate.busy("x:me")


def test_a_holder_that_must_pause_drops_what_was_left():
    lane = AccountGate().lane("x:me")
    assert lane.enter("p1", None)
    worker = threading.Thread(target=lane.enter, args=("part-2", "ticket"))
    worker.start()
    worker.join(10)  # the ticket is left at once
    assert lane.let_go() == ["part-2"]
    assert not lane.held
    assert lane.enter("p3", None), "free again"


def test_a_job_waits_while_the_lane_is_held_for_a_look_back():
    """Held by anything but publishing (a look-back, a reading), nobody would take a post up:
    the job waits for the lane instead, then publishes."""
    lane = AccountGate().lane("x:me")
    entered = threading.Event()

    def job() -> None:
        if lane.enter("p1", None):
            entered.set()
            lane.release_if_idle()

    with lane:
        worker = threading.Thread(target=job)
        worker.start()
        assert not entered.wait(0.2), "the job took a lane held for a look-back"
    worker.join(10)
    assert entered.is_set()
    assert not lane.held
