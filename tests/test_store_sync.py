"""Ledger.sync: recording a plan is idempotent, all or nothing, and never touches sent posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from campaign.errors import LedgerError
from campaign.store import Ledger
from campaign.store.history import history
from campaign.store.states import CANCELLED, FAILED, MISSED, SCHEDULED, SENDING, SENT, UNKNOWN
from tests.ledger_helpers import NOW, force_state, image, make_post, make_thread


def _plan() -> list:
    return [
        make_post("e1"),
        make_post("e2", platform="bluesky"),
        *make_thread(3, event="e3", platform="twitter"),
    ]


class TestIdempotence:
    def test_new_posts_are_added_as_scheduled(self, ledger: Ledger) -> None:
        plan = _plan()
        report = ledger.sync(plan, now=NOW)
        assert set(report.added) == {post.id for post in plan}
        assert report.updated == report.unchanged == report.missed == ()
        assert {post.state for post in ledger.list()} == {SCHEDULED}

    def test_same_plan_twice_changes_nothing(self, ledger: Ledger) -> None:
        ledger.sync(_plan(), now=NOW)
        before = ledger.list()
        report = ledger.sync(_plan(), now=NOW + timedelta(minutes=5))
        assert set(report.unchanged) == {post.id for post in _plan()}
        assert report.added == report.updated == report.cancelled == report.conflicts == ()
        assert ledger.list() == before, "not even updated_at moves for an unchanged post"

    def test_stored_post_keeps_every_planned_field(self, ledger: Ledger) -> None:
        post = make_post(links=("https://example.org/a",), media=(image(),))
        ledger.sync([post], now=NOW)
        stored = ledger.get(post.id)
        assert (stored.campaign, stored.event, stored.announcement, stored.platform) == (
            post.campaign,
            post.event,
            post.announcement,
            post.platform,
        )
        assert stored.scheduled_at == post.scheduled_at
        assert stored.scheduled_at.utcoffset() == timedelta(0)
        assert (stored.text, stored.links) == (post.text, post.links)
        assert [(m.path, m.alt) for m in stored.media] == [(m.source, m.alt) for m in post.media]
        assert (stored.timezone, stored.source) == (post.timezone, post.source)
        assert stored.attempts == 0
        assert stored.remote_id is None

    def test_thread_parts_know_their_previous_part_and_root(self, ledger: Ledger) -> None:
        parts = make_thread(3)
        ledger.sync(parts, now=NOW)
        stored = [ledger.get(part.id) for part in parts]
        assert [p.previous_id for p in stored] == [None, parts[0].id, parts[1].id]
        assert {p.root_id for p in stored} == {parts[0].id}
        assert [p.thread for p in stored] == [1, 2, 3]
        assert {p.thread_size for p in stored} == {3}


class TestChanges:
    @pytest.mark.parametrize(
        "change",
        [
            {"text": "a new text"},
            {"at": NOW + timedelta(days=1)},
            {"media": (image("other.png"),)},
            {"links": ("https://example.org/new",)},
        ],
        ids=["text", "time", "media", "links"],
    )
    def test_changed_unsent_post_is_updated_in_place(self, ledger: Ledger, change: dict) -> None:
        ledger.sync([make_post()], now=NOW)
        changed = make_post(**change)
        report = ledger.sync([changed], now=NOW)
        assert report.updated == (changed.id,)
        stored = ledger.get(changed.id)
        assert (stored.text, stored.scheduled_at, stored.links) == (
            changed.text,
            changed.scheduled_at,
            changed.links,
        )
        assert [m.path for m in stored.media] == [m.source for m in changed.media]
        assert stored.state == SCHEDULED

    @pytest.mark.parametrize("state", [FAILED, MISSED])
    def test_changed_failed_or_missed_post_is_scheduled_again(
        self, ledger: Ledger, state: str
    ) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        force_state(ledger, post.id, state, attempts=2, not_before=NOW, last_error="boom")
        report = ledger.sync([make_post(text="fixed text")], now=NOW)
        assert report.updated == (post.id,)
        stored = ledger.get(post.id)
        assert (stored.state, stored.text, stored.not_before) == (SCHEDULED, "fixed text", None)
        assert stored.attempts == 2, "the attempt history is kept"

    def test_changed_cancelled_post_is_updated_but_stays_cancelled(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        ledger.cancel(post.id, now=NOW)
        report = ledger.sync([make_post(text="new words")], now=NOW)
        assert report.updated == (post.id,)
        stored = ledger.get(post.id)
        assert (stored.state, stored.text) == (CANCELLED, "new words")

    @pytest.mark.parametrize("state", [SENT, SENDING, UNKNOWN])
    def test_post_that_may_be_published_is_never_changed(self, ledger: Ledger, state: str) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        force_state(ledger, post.id, state, remote_id="r1" if state == SENT else None)
        before = ledger.get(post.id)
        report = ledger.sync([make_post(text="edited after sending")], now=NOW)
        assert report.conflicts == (post.id,)
        assert report.updated == ()
        assert ledger.get(post.id) == before

    def test_unchanged_sent_post_is_not_a_conflict(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        force_state(ledger, post.id, SENT, remote_id="r1")
        report = ledger.sync([post], now=NOW)
        assert report.unchanged == (post.id,)
        assert report.conflicts == ()


class TestPrune:
    def test_removed_posts_are_orphaned_without_prune(self, ledger: Ledger) -> None:
        ledger.sync(_plan(), now=NOW)
        kept = _plan()[:2]
        report = ledger.sync(kept, now=NOW)
        gone = {post.id for post in _plan()[2:]}
        assert set(report.orphaned) == gone
        assert report.cancelled == ()
        assert {ledger.get(pid).state for pid in gone} == {SCHEDULED}

    def test_prune_cancels_removed_unsent_posts_only(self, ledger: Ledger) -> None:
        plan = _plan()
        ledger.sync(plan, now=NOW)
        force_state(ledger, plan[3].id, SENT, remote_id="r1")
        force_state(ledger, plan[2].id, FAILED)
        report = ledger.sync(plan[:2], prune=True, now=NOW)
        assert set(report.cancelled) == {plan[2].id, plan[4].id}
        assert report.orphaned == ()
        assert ledger.get(plan[3].id).state == SENT
        assert ledger.get(plan[4].id).state == CANCELLED

    def test_prune_leaves_other_campaigns_alone(self, ledger: Ledger) -> None:
        other = make_post(campaign="autumn-2030")
        ledger.sync([other, make_post()], now=NOW)
        report = ledger.sync([make_post()], prune=True, now=NOW)
        assert report.cancelled == ()
        assert ledger.get(other.id).state == SCHEDULED

    def test_an_announcement_back_in_the_file_is_scheduled_again_if_still_to_come(
        self, ledger: Ledger
    ) -> None:
        """Pruned posts planned again come back (future ones only) and the report says so;
        a post a person cancelled stays cancelled."""
        soon, past = make_post("e1"), make_post("e2", at=NOW + timedelta(minutes=30))
        by_hand = make_post("e3")
        ledger.sync([soon, past, by_hand], now=NOW)
        ledger.cancel(by_hand.id, now=NOW)
        ledger.sync([by_hand], prune=True, now=NOW)
        assert {ledger.get(p.id).state for p in (soon, past)} == {CANCELLED}
        later = NOW + timedelta(minutes=45)  # past's time has gone by, soon's is to come
        report = ledger.sync([soon, past, by_hand], now=later)
        assert report.restored == (soon.id,)
        assert set(report.unchanged) == {past.id, by_hand.id}
        assert [ledger.get(p.id).state for p in (soon, past, by_hand)] == [
            SCHEDULED,
            CANCELLED,
            CANCELLED,
        ]
        assert history(ledger.engine, soon.id)[-1].reason == (
            "planned again after schedule --prune cancelled it"
        )


class TestLanguage:
    def test_a_campaign_that_gains_languages_relabels_its_unsent_posts_only(
        self, ledger: Ledger
    ) -> None:
        """No conflict for a sent post whose text is the same: its language is moot."""
        waiting, sent = make_post("e1"), make_post("e2")
        ledger.sync([waiting, sent], now=NOW)
        force_state(ledger, sent.id, SENT, remote_id="r1")
        english = [replace(post, language="en") for post in (waiting, sent)]
        report = ledger.sync(english, now=NOW)
        assert set(report.unchanged) == {waiting.id, sent.id}
        assert report.conflicts == report.updated == ()
        assert (ledger.get(waiting.id).language, ledger.get(sent.id).language) == ("en", None)
        assert ledger.get(waiting.id).state == SCHEDULED


class TestGraceRule:
    @pytest.mark.parametrize(
        ("late_by", "expected"),
        [
            (timedelta(minutes=-5), SCHEDULED),
            (timedelta(minutes=14), SCHEDULED),
            (timedelta(minutes=16), MISSED),
            (timedelta(days=3), MISSED),
        ],
        ids=["future", "within-grace", "just-past-grace", "long-past"],
    )
    def test_new_post_past_the_grace_window_is_missed(
        self, ledger: Ledger, late_by: timedelta, expected: str
    ) -> None:
        post = make_post(at=NOW - late_by)
        report = ledger.sync([post], now=NOW)
        stored = ledger.get(post.id)
        assert stored.state == expected
        if expected == MISSED:
            assert report.missed == (post.id,)
            assert report.added == ()
            assert stored.last_error
            assert f"campaign retry {post.id}" in stored.last_error
        else:
            assert report.added == (post.id,)
            assert report.missed == ()

    def test_update_to_a_past_time_is_missed(self, ledger: Ledger) -> None:
        ledger.sync([make_post()], now=NOW)
        moved = make_post(at=NOW - timedelta(hours=2))
        report = ledger.sync([moved], now=NOW)
        assert report.missed == (moved.id,)
        assert ledger.get(moved.id).state == MISSED

    def test_grace_window_comes_from_the_ledger(self, ledger_url: str) -> None:
        with Ledger.open(ledger_url, grace=timedelta(hours=2)) as wide:
            post = make_post(at=NOW - timedelta(hours=1))
            assert wide.sync([post], now=NOW).added == (post.id,)


class TestAllOrNothing:
    def test_duplicate_ids_write_nothing(self, ledger: Ledger) -> None:
        plan = [make_post("e1"), make_post("e2"), make_post("e1", text="again")]
        with pytest.raises(LedgerError, match="share the id"):
            ledger.sync(plan, now=NOW)
        assert ledger.list() == []

    def test_failed_write_rolls_back_the_whole_sync(self, ledger: Ledger) -> None:
        first = make_post("e1")
        ledger.sync([first], now=NOW)
        before = ledger.list()
        # The new post is inserted first; the update of the changed one then breaks a
        # NOT NULL constraint, so the insert must be rolled back with it.
        broken = replace(make_post("e1", text="changed"), source=None)
        with pytest.raises(IntegrityError):
            ledger.sync([make_post("e2"), broken], now=NOW)
        assert ledger.list() == before
