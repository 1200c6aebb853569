"""Readings of sent posts' figures in the ledger, on SQLite and PostgreSQL: which posts are due
for one, and each post's latest reading with figures."""

from __future__ import annotations

from datetime import timedelta

from campaign.store import metrics
from campaign.store.ledger import Ledger
from campaign.store.states import SENT
from tests.ledger_helpers import NOW, force_state, make_post

AGES = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7))


def sent(ledger: Ledger, *events: str) -> list[str]:
    """Post one Mastodon post per event, sent at ``NOW``; their ids."""
    posts = [make_post(event, at=NOW) for event in events]
    ledger.sync(posts, now=NOW - timedelta(days=1))
    for post in posts:
        force_state(ledger, post.id, SENT, remote_id=f"r-{post.event}", sent_at=NOW)
    return [post.id for post in posts]


def test_a_post_is_due_for_the_largest_age_it_reached_without_a_reading(ledger: Ledger) -> None:
    first, second = sent(ledger, "a", "b")
    assert metrics.due(ledger.engine, NOW + timedelta(minutes=59), AGES) == []
    due = metrics.due(ledger.engine, NOW + timedelta(hours=30), AGES)
    assert [(d.post_id, d.age) for d in due] == sorted((p, AGES[1]) for p in (first, second))
    reading = metrics.Snapshot(first, AGES[1], NOW + timedelta(hours=30))
    metrics.record(ledger.engine, [reading])
    assert [d.post_id for d in metrics.due(ledger.engine, NOW + timedelta(hours=30), AGES)] == [
        second
    ]
    page = metrics.due(ledger.engine, NOW + timedelta(days=9), AGES, limit=1)
    assert len(page) == 1
    rest = metrics.due(
        ledger.engine, NOW + timedelta(days=9), AGES, after=(page[0].sent_at, page[0].post_id)
    )
    assert {page[0].post_id, *(d.post_id for d in rest)} == {first, second}
    assert metrics.due(ledger.engine, NOW + timedelta(days=9), ()) == []


def test_the_latest_reading_with_figures_counts(ledger: Ledger) -> None:
    (post,) = sent(ledger, "a")
    figures = {**dict.fromkeys(metrics.FIGURES), "likes": 3}
    metrics.record(
        ledger.engine,
        [
            metrics.Snapshot(post, AGES[0], NOW + AGES[0], figures=figures),
            metrics.Snapshot(post, AGES[1], NOW + AGES[1], figures={**figures, "likes": 8}),
            metrics.Snapshot(post, AGES[2], NOW + AGES[2], metrics.FAILED, note="gave up"),
        ],
    )
    latest = metrics.latest(ledger.engine, [post])[post]
    assert (latest.figures["likes"], latest.figures["quotes"], latest.at) == (
        8,
        None,
        NOW + AGES[1],
    )
    assert metrics.latest(ledger.engine) == {post: latest}
    assert metrics.latest(ledger.engine, ["nothing"]) == {}
