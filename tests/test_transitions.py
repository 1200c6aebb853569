"""The daemon's ledger moves (:class:`WorkerLedger`): atomic claims that return what to send,
guarded outcomes, attempt history, heartbeats.

Every test runs on a real SQLite file and, when reachable, on PostgreSQL.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.adapters.base import Receipt
from campaign.store import Ledger
from campaign.store.queued import QueuedPost
from campaign.store.schema import AttemptRow
from tests.ledger_helpers import NOW, force_state, make_post, make_thread
from tests.ledger_helpers import as_worker as worker

W1, W2 = "host:1:aaaa", "host:2:bbbb"


def queued(ledger: Ledger, post_id: str) -> QueuedPost:
    post = worker(ledger).get(post_id)
    assert post is not None
    return post


def attempt_rows(ledger: Ledger, post_id: str) -> list[tuple[str, str | None, str | None]]:
    table = AttemptRow.__table__
    query = select(table.c.worker, table.c.outcome, table.c.error).where(table.c.post_id == post_id)
    with ledger.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query.order_by(table.c.id))]


@pytest.fixture
def due_post(ledger: Ledger) -> QueuedPost:
    """One scheduled post, due at ``NOW``."""
    post = make_post(at=NOW)
    ledger.sync([post], now=NOW - timedelta(hours=1))
    return queued(ledger, post.id)


class TestClaim:
    def test_only_one_of_many_racing_claims_wins(self, ledger: Ledger, due_post: QueuedPost):
        """Eight threads claim one post at once: exactly one update changes the row."""
        start = threading.Barrier(8)
        wins: list[str] = []

        def race(n: int) -> None:
            start.wait()
            if worker(ledger, f"host:{n}:x").claim(due_post.id, NOW):
                wins.append(f"host:{n}:x")

        threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1
        assert queued(ledger, due_post.id).state == "sending"
        assert attempt_rows(ledger, due_post.id) == [(wins[0], None, None)]

    def test_a_post_is_not_claimed_before_its_retry_time(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        force_state(ledger, due_post.id, "scheduled", not_before=NOW + timedelta(seconds=30))
        assert not worker(ledger, W1).claim(due_post.id, NOW)
        assert worker(ledger, W1).claim(due_post.id, NOW + timedelta(seconds=30))

    def test_the_claim_returns_the_row_as_it_left_it_not_an_earlier_read(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        """``due_post`` was read before ``schedule`` edited the post: the claim returns the
        edited text (what the worker must send) and the row in ``sending``."""
        edited = replace(make_post(at=NOW), text="edited after the worker read it")
        assert ledger.sync([edited], now=NOW - timedelta(minutes=5)).updated == (due_post.id,)
        claimed = worker(ledger).claim(due_post.id, NOW)
        assert claimed is not None
        assert (claimed.post.text, claimed.post.state) == (edited.text, "sending")
        assert claimed.images == claimed.missing == ()

    def test_a_post_moved_later_by_schedule_is_not_claimed(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        later = make_post(at=NOW + timedelta(hours=1), text="moved to later")
        ledger.sync([later], now=NOW - timedelta(minutes=5))
        assert worker(ledger).claim(due_post.id, NOW) is None
        assert queued(ledger, due_post.id).state == "scheduled"
        assert attempt_rows(ledger, due_post.id) == []

    @pytest.mark.parametrize("state", ["sending", "sent", "failed", "missed", "cancelled"])
    def test_only_scheduled_posts_are_claimed(
        self, ledger: Ledger, due_post: QueuedPost, state: str
    ):
        force_state(ledger, due_post.id, state)
        assert not worker(ledger, W1).claim(due_post.id, NOW)
        assert attempt_rows(ledger, due_post.id) == []


class TestOutcomes:
    def test_sent_records_receipt_and_closes_the_attempt(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        assert worker(ledger, W1).claim(due_post.id, NOW)
        receipt = Receipt("1800", "https://x.com/i/web/status/1800")
        assert worker(ledger, W1).mark_sent(due_post, NOW, receipt.remote_id, receipt.url)
        post = queued(ledger, due_post.id)
        assert (post.state, post.remote_id, post.remote_url) == ("sent", "1800", receipt.url)
        assert post.sent_at == NOW
        assert attempt_rows(ledger, due_post.id) == [(W1, "sent", None)]

    def test_an_outcome_is_refused_from_a_worker_that_lost_the_claim(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        assert worker(ledger, W1).claim(due_post.id, NOW)
        stuck = worker(ledger).stuck_sending()[0]
        assert worker(ledger, W2).take_over(stuck, NOW)
        assert not worker(ledger, "host:3:cccc").take_over(stuck, NOW)
        assert not worker(ledger, W1).mark_sent(due_post, NOW, "1")
        assert queued(ledger, due_post.id).state == "sending"
        assert worker(ledger, W2).mark_sent(due_post, NOW, "1", found=True)
        assert attempt_rows(ledger, due_post.id) == [(W1, "found", None)]

    def test_retryable_error_backs_off_and_counts_an_attempt(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        later = NOW + timedelta(minutes=2)
        assert worker(ledger, W1).claim(due_post.id, NOW)
        assert worker(ledger, W1).reschedule(due_post, NOW, later, "X answered 503")
        post = queued(ledger, due_post.id)
        assert (post.state, post.not_before, post.attempts) == ("scheduled", later, 1)
        assert post.last_error == "X answered 503"
        assert worker(ledger).due(NOW) == []
        assert [p.id for p in worker(ledger).due(later)] == [post.id]
        assert worker(ledger).upcoming(later) == {post.id: (later, post.platform, True)}

    def test_rate_limit_waits_without_counting_an_attempt(
        self, ledger: Ledger, due_post: QueuedPost
    ):
        reset = NOW + timedelta(minutes=15)
        assert worker(ledger, W1).claim(due_post.id, NOW)
        assert worker(ledger, W1).reschedule(due_post, NOW, reset, "429", counts=False)
        assert queued(ledger, due_post.id).attempts == 0
        assert attempt_rows(ledger, due_post.id) == [(W1, "rate_limited", "429")]

    @pytest.mark.parametrize(
        ("move", "state", "attempts"),
        [("mark_failed", "failed", 1), ("mark_unknown", "unknown", 0)],
    )
    def test_failed_and_unknown_keep_the_reason(
        self, ledger: Ledger, due_post: QueuedPost, move, state: str, attempts: int
    ):
        assert worker(ledger, W1).claim(due_post.id, NOW)
        assert getattr(worker(ledger), move)(due_post, NOW, "the reason")
        post = queued(ledger, due_post.id)
        assert (post.state, post.last_error, post.attempts) == (state, "the reason", attempts)
        assert attempt_rows(ledger, due_post.id) == [(W1, state, "the reason")]

    def test_missed_only_from_scheduled_and_logged_as_error(
        self, ledger: Ledger, due_post: QueuedPost, caplog: pytest.LogCaptureFixture
    ):
        assert worker(ledger).mark_missed(due_post, NOW, "too late")
        assert not worker(ledger).mark_missed(due_post, NOW, "again")
        assert queued(ledger, due_post.id).state == "missed"
        assert attempt_rows(ledger, due_post.id) == [("", "missed", "too late")]
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1
        assert errors[0].fields["post_id"] == due_post.id  # type: ignore[attr-defined]
        assert f"campaign retry {due_post.id}" in errors[0].getMessage()


class TestReads:
    def test_due_lists_thread_parts_in_order_and_next_part_follows(self, ledger: Ledger):
        parts = make_thread(3, at=NOW)
        ledger.sync(parts, now=NOW - timedelta(hours=1))
        due = worker(ledger).due(NOW)
        assert [p.thread for p in due] == [1, 2, 3]
        following = worker(ledger).next_part(due[0])
        assert following is not None
        assert following.id == parts[1].id
        assert worker(ledger).next_part(due[2]) is None

    def test_upcoming_is_bounded_by_the_horizon(self, ledger: Ledger):
        soon, later = make_post("soon", at=NOW), make_post("later", at=NOW + timedelta(hours=2))
        ledger.sync([soon, later], now=NOW - timedelta(hours=1))
        assert worker(ledger).upcoming(NOW + timedelta(minutes=10)) == {
            soon.id: (NOW, soon.platform, True)
        }


class TestHeartbeats:
    def test_beat_then_stop(self, ledger: Ledger):
        worker(ledger, W1).beat(NOW)
        worker(ledger, W1).beat(NOW + timedelta(seconds=5))
        (beat,) = worker(ledger).heartbeats()
        assert (beat.started_at, beat.beat_at, beat.stopped) == (
            NOW,
            NOW + timedelta(seconds=5),
            False,
        )
        worker(ledger, W1).stop(NOW + timedelta(seconds=6))
        assert worker(ledger).heartbeats()[0].stopped
