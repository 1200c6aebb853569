"""The ledger's planning-side API: reading the queue and a person's cancel, retry, resolve."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.adapters.base import Outgoing
from campaign.daemon.publisher import outgoing_of
from campaign.errors import LedgerError
from campaign.store import Ledger
from campaign.store.schema import PostRow
from campaign.store.states import (
    CANCELLED,
    FAILED,
    MISSED,
    SCHEDULED,
    SENDING,
    SENT,
    STATES,
    UNKNOWN,
)
from tests.ledger_helpers import (
    NOW,
    QUEUE_JSON_FIELDS,
    force_state,
    image,
    make_post,
    make_thread,
)


class TestReading:
    def test_list_is_in_time_order_and_filters(self, ledger: Ledger) -> None:
        late = make_post("late", at=NOW + timedelta(days=2))
        early = make_post("early", at=NOW + timedelta(hours=1), campaign="other")
        middle = make_post("middle", at=NOW + timedelta(days=1))
        ledger.sync([late, early, middle], now=NOW)
        force_state(ledger, middle.id, FAILED)
        assert [p.id for p in ledger.list()] == [early.id, middle.id, late.id]
        assert [p.id for p in ledger.list(state=FAILED)] == [middle.id]
        assert [p.id for p in ledger.list(campaign="other")] == [early.id]
        assert ledger.list(state=SENT) == []

    def test_list_refuses_an_unknown_state(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match="unknown state 'done'; use one of: scheduled"):
            ledger.list(state="done")

    def test_get_accepts_a_unique_prefix(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        assert ledger.get(post.id[:6]).id == post.id
        assert ledger.get(post.id.upper()).id == post.id

    @pytest.mark.parametrize("asked", ["nope", "abc", "ffffffffffff", "%%%%%%"])
    def test_get_unknown_id_says_where_to_look(self, ledger: Ledger, asked: str) -> None:
        ledger.sync([make_post()], now=NOW)
        with pytest.raises(LedgerError, match=f"no post with id {asked}; see `campaign queue`"):
            ledger.get(asked)

    def test_get_short_prefix_is_not_enough(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        with pytest.raises(LedgerError, match="no post with id"):
            ledger.get(post.id[:5])

    def test_get_ambiguous_prefix_asks_for_more(self, ledger: Ledger) -> None:
        first = replace(make_post("a"), id="abcdef0000000001")
        second = replace(make_post("b"), id="abcdef0000000002")
        ledger.sync([first, second], now=NOW)
        with pytest.raises(LedgerError, match=r"matches several posts .*; give more of the id"):
            ledger.get("abcdef")
        assert ledger.get("abcdef0000000002").id == second.id

    def test_queued_post_json_has_the_documented_fields(self, ledger: Ledger) -> None:
        post = make_post(media=(image(),), links=("https://example.org/",))
        ledger.sync([post], now=NOW)
        data = ledger.get(post.id).to_json()
        assert data.keys() >= QUEUE_JSON_FIELDS
        assert data["scheduled_at"] == "2030-05-01T13:00:00+00:00"
        assert data["local_time"] == "2030-05-01T15:00:00+02:00"
        assert (data["state"], data["attempts"], data["remote_id"]) == (SCHEDULED, 0, None)
        assert data["media"] == [{"path": "media/banner.png", "alt": "A banner"}]

    def test_outgoing_carries_text_media_links_and_thread_ids(self, ledger: Ledger) -> None:
        post = make_post(media=(image(),), links=("https://example.org/",))
        ledger.sync([post], now=NOW)
        outgoing = outgoing_of(ledger.get(post.id), post.media, "r2", "r1")
        assert outgoing == Outgoing(
            post_id=post.id,
            text=post.text,
            media=post.media,
            reply_to="r2",
            thread_root="r1",
            links=post.links,
            scheduled_at=post.scheduled_at,
        )

    def test_session_commits_at_the_end_of_the_block(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        with ledger.session() as session:
            row = session.scalars(select(PostRow).where(PostRow.id == post.id)).one()
            row.last_error = "noted"
        assert ledger.get(post.id).last_error == "noted"

    def test_session_rolls_back_on_error(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)

        def fail_half_way() -> None:
            with ledger.session() as session:
                session.scalars(select(PostRow)).one().last_error = "lost"
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            fail_half_way()
        assert ledger.get(post.id).last_error is None


ALLOWED = {
    "cancel": {SCHEDULED, FAILED, MISSED},
    "retry": {FAILED, MISSED, UNKNOWN, CANCELLED},
    "resolve-posted": {UNKNOWN},
    "resolve-not-posted": {UNKNOWN},
}
RESULT = {
    "cancel": CANCELLED,
    "retry": SCHEDULED,
    "resolve-posted": SENT,
    "resolve-not-posted": SCHEDULED,
}


def _act(ledger: Ledger, action: str, post_id: str) -> object:
    if action == "cancel":
        return ledger.cancel(post_id, now=NOW)
    if action == "retry":
        return ledger.retry(post_id, now=NOW)
    posted = "remote-9" if action == "resolve-posted" else None
    return ledger.resolve(post_id, posted=posted, now=NOW)


class TestTransitions:
    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize("action", list(ALLOWED))
    def test_each_action_moves_only_from_the_states_it_allows(
        self, ledger: Ledger, action: str, state: str
    ) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        force_state(ledger, post.id, state, attempts=3, not_before=NOW + timedelta(hours=1))
        if state in ALLOWED[action]:
            _act(ledger, action, post.id[:8])
            after = ledger.get(post.id)
            assert after.state == RESULT[action]
            assert after.attempts == 3, "attempt count is kept"
            if RESULT[action] == SCHEDULED:
                assert after.not_before == NOW, "due from the retry: not missed again at once"
        else:
            with pytest.raises(LedgerError, match=f"cannot {action.split('-')[0]} post {post.id}"):
                _act(ledger, action, post.id)
            assert ledger.get(post.id).state == state

    @pytest.mark.parametrize(
        ("action", "state", "hint"),
        [
            ("cancel", SENT, "already sent (remote id r-1); delete it on mastodon"),
            ("cancel", UNKNOWN, "--posted REMOTE_ID"),
            ("cancel", SENDING, "being published right now"),
            ("retry", SCHEDULED, "already scheduled"),
            ("resolve-posted", SCHEDULED, "only settles posts whose outcome is unknown"),
        ],
    )
    def test_refusals_say_what_to_do(
        self, ledger: Ledger, action: str, state: str, hint: str
    ) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        force_state(ledger, post.id, state, remote_id="r-1" if state == SENT else None)
        with pytest.raises(LedgerError) as caught:
            _act(ledger, action, post.id)
        assert hint in str(caught.value)

    def test_resolve_posted_records_remote_id_and_time(self, ledger: Ledger) -> None:
        post = make_post()
        ledger.sync([post], now=NOW)
        force_state(ledger, post.id, UNKNOWN)
        moment = datetime(2030, 5, 1, 13, 1, tzinfo=UTC)
        resolved = ledger.resolve(post.id, posted="1234", url="https://m.example/1234", now=moment)
        assert (resolved.state, resolved.remote_id, resolved.sent_at) == (SENT, "1234", moment)
        assert resolved.remote_url == "https://m.example/1234"

    def test_cancel_takes_the_later_thread_parts_along(self, ledger: Ledger) -> None:
        parts = make_thread(4)
        ledger.sync(parts, now=NOW)
        force_state(ledger, parts[0].id, SENT, remote_id="r1")
        cancelled = ledger.cancel(parts[1].id, now=NOW)
        assert [p.id for p in cancelled] == [p.id for p in parts[1:]]
        assert [ledger.get(p.id).state for p in parts] == [SENT, CANCELLED, CANCELLED, CANCELLED]

    def test_every_change_is_logged(self, ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
        post = make_post()
        with caplog.at_level(logging.INFO, logger="campaign.ledger"):
            ledger.sync([post], now=NOW)
            ledger.cancel(post.id, now=NOW)
            ledger.retry(post.id, now=NOW)
        lines = [r.getMessage() for r in caplog.records if r.name == "campaign.ledger"]
        assert lines == [
            f"post {post.id}: new -> scheduled (planned)",
            f"post {post.id}: scheduled -> cancelled (cancelled by hand)",
            f"post {post.id}: cancelled -> scheduled (retry by hand)",
        ]
