"""The publisher in-process, on a real SQLite ledger and the fake X (and Mastodon) servers.

Time is the daemon's injectable clock: each test sets "now" to the instant it needs and calls
:func:`run_once`, the same code path ``campaign run --once`` takes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from campaign.daemon.clock import Clock
from campaign.daemon.config import DaemonSettings
from campaign.daemon.runtime import Runtime, run_once
from campaign.store.media import media_table
from campaign.store.queued import QueuedPost
from tests.daemon_helpers import texts_on, x_posts
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX
from tests.ledger_helpers import as_worker, image, make_post, make_thread

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
DEAD = "elsewhere:4242:dead"

Settings = Callable[..., DaemonSettings]
Open = Callable[..., Runtime]


def set_now(runtime: Runtime, instant: datetime) -> None:
    """Make the daemon's clock read ``instant`` (it keeps ticking from there)."""
    runtime.clock.offset = instant - datetime.now(UTC)


class StoppedClock(Clock):
    """A daemon clock that reads ``at`` and does not tick: what the daemon decides cannot
    depend on how long the machine takes between two steps of a test."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at


class HeldX(FakeX):
    """The fake X, holding its answer to the first post until ``ready()`` (10 s at most);
    :attr:`waited` says whether it came true in time."""

    def __init__(self, ready: Callable[[], bool]) -> None:
        super().__init__()
        self.ready = ready
        self.waited: list[bool] = []

    def _store(self, text: str, reply_to: str | None, media_ids: list[str], *more: Any) -> Any:
        if not self.waited:
            pause = threading.Event()
            deadline = time.monotonic() + 10
            while not self.ready() and time.monotonic() < deadline:
                pause.wait(0.005)
            self.waited.append(self.ready())
        return super()._store(text, reply_to, media_ids, *more)


def post_in(runtime: Runtime, post_id: str) -> QueuedPost:
    post = runtime.book.get(post_id)
    assert post is not None
    return post


def error_lines(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and getattr(r, "fields", {}).get("event") == event
    ]


class TestOnTime:
    def test_dst_posts_go_out_at_the_utc_instant_of_their_wall_clock_time(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        """09:00 in Amsterdam on both sides of both 2026 DST changes: not a second early,
        at the right UTC instant (08:00Z in winter time, 07:00Z in summer time)."""
        days = [(3, 28), (3, 29), (10, 24), (10, 25)]
        posts = [
            make_post(
                f"dst-{month}-{day}",
                platform="twitter",
                at=datetime(2026, month, day, 9, tzinfo=AMSTERDAM).astimezone(UTC),
            )
            for month, day in days
        ]
        assert [p.scheduled_at.hour for p in posts] == [8, 7, 7, 8]
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync(posts, now=posts[0].scheduled_at - timedelta(days=1))
        for done, post in enumerate(posts):
            set_now(runtime, post.scheduled_at - timedelta(seconds=1))
            run_once(runtime)
            assert post_in(runtime, post.id).state == "scheduled"
            assert len(fake_x.tweets) == done
            set_now(runtime, post.scheduled_at)
            run_once(runtime)
            sent = post_in(runtime, post.id)
            assert sent.state == "sent"
            assert sent.sent_at is not None
            assert timedelta(0) <= sent.sent_at - post.scheduled_at < timedelta(seconds=5)
            assert sent.sent_at.astimezone(AMSTERDAM).strftime("%H:%M") == "09:00"
            assert texts_on(fake_x)[-1] == post.text
        assert all(post_in(runtime, p.id).state == "sent" for p in posts)

    @pytest.mark.parametrize(
        ("grace", "expected"),
        [(15, {"ten": "sent", "twenty": "missed"}), (5, {"ten": "missed", "twenty": "missed"})],
    )
    def test_late_posts_go_out_within_the_grace_window_and_are_missed_beyond(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_x: FakeX,
        caplog: pytest.LogCaptureFixture,
        grace: int,
        expected: dict[str, str],
    ):
        ten = make_post("ten", platform="twitter", at=T0 - timedelta(minutes=10))
        twenty = make_post("twenty", platform="twitter", at=T0 - timedelta(minutes=20))
        runtime = open_runtime(daemon_settings(x=fake_x, grace_minutes=grace))
        runtime.ledger.sync([ten, twenty], now=T0 - timedelta(hours=1))
        set_now(runtime, T0)
        with caplog.at_level(logging.INFO, logger="campaign"):
            run_once(runtime)
        states = {"ten": post_in(runtime, ten.id).state}
        states["twenty"] = post_in(runtime, twenty.id).state
        assert states == expected
        assert texts_on(fake_x) == ([ten.text] if expected["ten"] == "sent" else [])
        missed = error_lines(caplog, "missed")
        assert len(missed) == sum(s == "missed" for s in expected.values())
        assert "beyond the" in missed[0].getMessage()
        assert "campaign retry" in missed[0].getMessage()


class TestErrors:
    def test_retryable_errors_back_off_exponentially_then_fail(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        (post,) = x_posts(1, T0)
        fake_x.fault("publish", "server_error", times=3)
        runtime = open_runtime(daemon_settings(x=fake_x, backoff_seconds=10, max_attempts=3))
        runtime.ledger.sync([post], now=T0 - timedelta(hours=1))
        now = T0
        for attempt, ceiling in [(1, 10), (2, 20)]:
            set_now(runtime, now)
            run_once(runtime)
            queued = post_in(runtime, post.id)
            assert (queued.state, queued.attempts) == ("scheduled", attempt)
            assert queued.not_before is not None
            wait = (queued.not_before - now).total_seconds()
            assert ceiling / 2 <= wait <= ceiling + 1
            now = queued.not_before
        set_now(runtime, now)
        run_once(runtime)
        failed = post_in(runtime, post.id)
        assert failed.state == "failed"
        assert "gave up after 3 attempts" in (failed.last_error or "")
        assert "503" in (failed.last_error or "")
        assert "tried again" not in (failed.last_error or "")  # it is not: it failed
        assert fake_x.tweets == []

    def test_rate_limit_pauses_that_account_while_other_platforms_go_on(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_x: FakeX,
        fake_mastodon: FakeMastodon,
    ):
        reset = int(datetime.now(UTC).timestamp()) + 600
        fake_x.rate_limit_reset = reset
        fake_x.fault("publish", "rate_limit")
        first, second = x_posts(2, datetime.now(UTC))
        toot = make_post("toot", platform="mastodon", at=datetime.now(UTC))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([first, second, toot], now=datetime.now(UTC) - timedelta(hours=1))
        run_once(runtime)
        assert post_in(runtime, toot.id).state == "sent"
        assert len(fake_mastodon.statuses) == 1
        x_states = [post_in(runtime, p.id) for p in (first, second)]
        assert [p.state for p in x_states] == ["scheduled", "scheduled"]
        assert [p.attempts for p in x_states] == [0, 0]
        waited = [p for p in x_states if p.not_before is not None]
        assert len(waited) == 1  # the one that met the 429; the other never reached X
        assert waited[0].not_before == datetime.fromtimestamp(reset, UTC)
        assert len(fake_x.calls("publish")) == 1
        set_now(runtime, datetime.fromtimestamp(reset, UTC))
        run_once(runtime)
        assert sorted(texts_on(fake_x)) == sorted([first.text, second.text])

    def test_a_busy_account_never_holds_up_another_platforms_posts(
        self, daemon_settings: Settings, open_runtime: Open, fake_mastodon: FakeMastodon
    ):
        """Two publishing threads, five X posts due before a Mastodon post, and X answering
        its first post only once the Mastodon post has arrived: the jobs that find X's lane
        busy hand their posts to the thread publishing X's and return, so the second thread
        gets to Mastodon (were they to wait for X's lane, X would wait in vain)."""
        with HeldX(lambda: bool(fake_mastodon.statuses)) as fake_x:
            now = datetime.now(UTC)
            xs = x_posts(5, now - timedelta(seconds=2))
            toot = make_post("toot", platform="mastodon", at=now - timedelta(seconds=1))
            runtime = open_runtime(daemon_settings(x=fake_x, workers=2))
            runtime.ledger.sync([*xs, toot], now=now - timedelta(hours=1))
            run_once(runtime)
            assert fake_x.waited == [True], "X's first post was answered before the toot"
            assert sorted(texts_on(fake_x)) == sorted(p.text for p in xs)
            assert [s["text"] for s in fake_mastodon.statuses] == [toot.text]
            assert {post_in(runtime, p.id).state for p in [*xs, toot]} == {"sent"}

    @pytest.mark.parametrize(("visible", "state"), [(True, "sent"), (False, "unknown")])
    def test_lost_answer_is_looked_up_never_blindly_reposted(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_x: FakeX,
        visible: bool,
        state: str,
    ):
        """X creates the post and the connection drops: found on the timeline means sent;
        not found (X's look-back cannot prove absence) means unknown, for a person."""
        (post,) = x_posts(1, datetime.now(UTC))
        fake_x.fault("publish", "drop")
        fake_x.timeline_visible = visible
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
        run_once(runtime)
        run_once(runtime)
        queued = post_in(runtime, post.id)
        assert queued.state == state
        assert len(fake_x.tweets) == 1
        assert len(fake_x.calls("publish")) == 1
        if state == "sent":
            assert queued.remote_id == fake_x.tweets[0].id
        else:
            assert "campaign resolve" not in (queued.last_error or "")
            assert "not found" in (queued.last_error or "")

    def test_a_post_whose_image_the_ledger_lacks_fails_saying_what_to_do(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        """Only a ledger upgraded while an image file was gone lacks its bytes: the post is
        not sent without its image (nor is the file looked for); it fails, naming it."""
        post = make_post(platform="twitter", at=datetime.now(UTC), media=(image(),))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
        with runtime.ledger.engine.begin() as connection:
            connection.execute(media_table.delete())
        run_once(runtime)
        failed = post_in(runtime, post.id)
        assert failed.state == "failed"
        assert "image media/banner.png is not stored in the ledger" in (failed.last_error or "")
        assert f"campaign retry {post.id}" in (failed.last_error or "")
        assert fake_x.tweets == []
        assert fake_x.media == {}

    def test_permanent_error_fails_at_once_with_the_platform_message(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        (post,) = x_posts(1, datetime.now(UTC))
        fake_x.fault("publish", "reject")
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
        run_once(runtime)
        run_once(runtime)
        failed = post_in(runtime, post.id)
        assert (failed.state, failed.attempts) == ("failed", 1)
        assert "invalid" in (failed.last_error or "").lower()
        assert len(fake_x.calls("publish")) == 1

    def test_a_dry_run_of_a_burst_shows_each_post_once_and_sends_nothing(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        now = datetime.now(UTC)
        posts = x_posts(6, now - timedelta(seconds=1))
        too_late = make_post("late", platform="twitter", at=now - timedelta(hours=1))
        runtime = open_runtime(daemon_settings(x=fake_x), dry_run=True, echo=(shown := []).append)
        runtime.ledger.sync([*posts, too_late], now=now - timedelta(hours=2))
        run_once(runtime)
        assert [sum(p.text in line for line in shown) for p in posts] == [1] * 6
        assert not any(too_late.text in line for line in shown)
        assert [post_in(runtime, p.id).state for p in posts] == ["sent"] * 6  # as it would be
        assert post_in(runtime, too_late.id).state == "missed"
        assert fake_x.calls("publish") == []
        stored = {runtime.ledger.get(p.id).state for p in [*posts, too_late]}
        assert stored == {"scheduled"}, "nothing written"

    def test_credentials_refused_mid_burst_fail_one_post_and_keep_the_rest(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        """The thread publishing an account's posts stops at the refusal: the next posts
        check the credentials again (still refused) and stay scheduled, none failed."""
        posts = x_posts(3, datetime.now(UTC))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync(posts, now=datetime.now(UTC) - timedelta(hours=1))
        assert runtime.publisher.connections.get("twitter") is not None  # connected: valid
        fake_x.fault("publish", "unauthorized")
        fake_x.fault("whoami", "unauthorized", times=10)
        run_once(runtime)
        states = sorted(post_in(runtime, p.id).state for p in posts)
        assert states == ["failed", "scheduled", "scheduled"]
        assert len(fake_x.calls("publish")) == 1

    def test_missing_credentials_keep_posts_scheduled_and_say_which_variables(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_mastodon: FakeMastodon,
        caplog: pytest.LogCaptureFixture,
    ):
        (tweet,) = x_posts(1, datetime.now(UTC))
        toot = make_post("toot", platform="mastodon", at=datetime.now(UTC))
        runtime = open_runtime(daemon_settings())
        runtime.ledger.sync([tweet, toot], now=datetime.now(UTC) - timedelta(hours=1))
        with caplog.at_level(logging.INFO, logger="campaign"):
            run_once(runtime)
            run_once(runtime)
        queued = post_in(runtime, tweet.id)
        assert (queued.state, queued.attempts, queued.last_error) == ("scheduled", 0, None)
        assert post_in(runtime, toot.id).state == "sent"
        (error,) = error_lines(caplog, "platform_unavailable")
        for variable in ("CAMPAIGN_TWITTER_API_KEY", "CAMPAIGN_TWITTER_ACCESS_SECRET"):
            assert variable in error.getMessage()
        assert "stay scheduled" in error.getMessage()

    def test_a_linkedin_page_read_the_token_has_no_scope_for_holds_nothing_back(
        self, daemon_settings: Settings, open_runtime: Open, caplog: pytest.LogCaptureFixture
    ):
        """Only w_organization_social: the role check is refused, the daemon warns naming the
        scope, and the post goes out; nothing asks anyone to fix a post."""
        with FakeLinkedIn() as linkedin:
            linkedin.scopes = {"w_organization_social"}
            post = make_post("page", platform="linkedin", at=datetime.now(UTC))
            runtime = open_runtime(daemon_settings(x=linkedin))
            runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
            with caplog.at_level(logging.INFO, logger="campaign"):
                run_once(runtime)
                run_once(runtime)
            assert post_in(runtime, post.id).state == "sent"
            assert [p.text for p in linkedin.published()] == [post.text]
        [notice] = [
            r for r in caplog.records if getattr(r, "fields", {}).get("event") == "platform_notice"
        ]
        assert notice.levelno == logging.WARNING
        assert "lacks the r_organization_admin scope" in notice.getMessage()
        assert error_lines(caplog, "platform_unavailable") == []
        assert "Fix the post" not in caplog.text


class TestSentAgainByAPerson:
    @pytest.mark.parametrize("stuck", ["missed", "unknown"])
    def test_a_retried_or_resolved_post_goes_out_however_old_its_plan(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX, stuck: str
    ):
        """``campaign retry`` (or ``resolve --not-posted``) an hour after the plan: the post
        goes out, its lateness measured from the person's decision, not missed again."""
        (post,) = x_posts(1, T0)
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=T0 - timedelta(hours=1))
        if stuck == "unknown":  # a crash in sending, and X's look-back cannot prove absence
            assert as_worker(runtime.ledger, DEAD).claim(post.id, T0)
        set_now(runtime, T0 + timedelta(hours=1))
        run_once(runtime)
        assert post_in(runtime, post.id).state == stuck
        if stuck == "missed":
            runtime.ledger.retry(post.id, now=runtime.clock.now())
        else:
            runtime.ledger.resolve(post.id, posted=None, now=runtime.clock.now())
        set_now(runtime, T0 + timedelta(hours=1, minutes=5))
        run_once(runtime)
        assert post_in(runtime, post.id).state == "sent"
        assert texts_on(fake_x) == [post.text]


class TestThreads:
    def test_parts_reply_to_the_previous_part_in_order(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        parts = make_thread(3, platform="twitter", at=datetime.now(UTC))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync(parts, now=datetime.now(UTC) - timedelta(hours=1))
        run_once(runtime)
        tweets = fake_x.tweets
        assert [t.text for t in tweets] == [p.text for p in parts]
        assert [t.reply_to for t in tweets] == [None, tweets[0].id, tweets[1].id]
        assert [post_in(runtime, p.id).remote_id for p in parts] == [t.id for t in tweets]

    def test_a_part_waits_for_a_failed_previous_part_then_is_missed_loudly(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_x: FakeX,
        caplog: pytest.LogCaptureFixture,
    ):
        parts = make_thread(3, platform="twitter", at=T0)
        fake_x.fault("publish", "reject")
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync(parts, now=T0 - timedelta(hours=1))
        set_now(runtime, T0)
        run_once(runtime)
        assert [post_in(runtime, p.id).state for p in parts] == ["failed", "scheduled", "scheduled"]
        set_now(runtime, T0 + timedelta(minutes=16))
        with caplog.at_level(logging.INFO, logger="campaign"):
            run_once(runtime)
        assert [post_in(runtime, p.id).state for p in parts] == ["failed", "missed", "missed"]
        (second,) = [r for r in error_lines(caplog, "missed") if r.fields["post_id"] == parts[1].id]
        assert "previous thread part is failed" in second.getMessage()
        assert fake_x.tweets == []


class TestCrashRecovery:
    """Posts a dead worker left in ``sending`` are looked up, never blindly sent again."""

    def leave_sending(self, runtime: Runtime, post_id: str, worker: str, at: datetime) -> None:
        assert as_worker(runtime.ledger, worker).claim(post_id, at)

    def test_a_post_the_dead_worker_did_publish_is_found_and_marked_sent(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        (post,) = x_posts(1, datetime.now(UTC))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
        self.leave_sending(runtime, post.id, DEAD, datetime.now(UTC))
        earlier = fake_x.add_tweet(post.text)
        run_once(runtime)
        queued = post_in(runtime, post.id)
        assert (queued.state, queued.remote_id) == ("sent", earlier.id)
        assert len(fake_x.tweets) == 1

    def test_not_found_on_x_becomes_unknown_for_a_person(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        (post,) = x_posts(1, datetime.now(UTC))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
        self.leave_sending(runtime, post.id, DEAD, datetime.now(UTC))
        run_once(runtime)
        assert post_in(runtime, post.id).state == "unknown"
        assert fake_x.tweets == []

    @pytest.mark.parametrize(("crashed_ago", "state"), [(1, "sent"), (20, "missed")])
    def test_not_found_where_look_back_is_reliable_is_sent_again_within_grace(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_mastodon: FakeMastodon,
        crashed_ago: int,
        state: str,
    ):
        now = datetime.now(UTC)
        toot = make_post("toot", platform="mastodon", at=now - timedelta(minutes=crashed_ago))
        runtime = open_runtime(daemon_settings())
        runtime.ledger.sync([toot], now=now - timedelta(hours=2))
        self.leave_sending(runtime, toot.id, DEAD, now - timedelta(minutes=crashed_ago))
        run_once(runtime)
        assert post_in(runtime, toot.id).state == state
        assert len(fake_mastodon.statuses) == (1 if state == "sent" else 0)

    @pytest.mark.parametrize("fault", ["server_error", "rate_limit"])
    def test_a_look_back_that_fails_for_now_is_made_again_later_never_a_blind_repost(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_mastodon: FakeMastodon,
        fault: str,
    ):
        """Mastodon answers the look-back with 503 (or 429 with a reset 5 min ahead): the post
        stays in ``sending`` untouched until a later look-back (after the reset) settles it.

        The reset is a fixed instant and the daemon's clock is stopped. (A reset counted from
        when the fake got the request, against a clock set 31 s after the test's start, made
        this fail whenever the set-up took over a second on a loaded machine.) The minute
        after the reset covers Mastodon.py's shift of the reset by the whole-second ``Date``
        header and the time the answer took."""
        now = datetime.now(UTC)
        toot = make_post("toot", platform="mastodon", at=now)
        runtime = open_runtime(daemon_settings())
        clock = runtime.publisher.clock = StoppedClock(now)
        runtime.ledger.sync([toot], now=now - timedelta(hours=1))
        self.leave_sending(runtime, toot.id, DEAD, now)
        reset = now + timedelta(minutes=5)
        fake_mastodon.set_rate_limit_reset(reset)
        fake_mastodon.fault("publish", fault)  # the look-back's key probe
        run_once(runtime)
        assert post_in(runtime, toot.id).state == "sending"
        run_once(runtime)  # a 503 is over, so this looks again; a rate limit is not yet
        if fault == "rate_limit":
            assert post_in(runtime, toot.id).state == "sending"
            assert len(fake_mastodon.calls("publish")) == 1
            clock.at = reset + timedelta(minutes=1)
            run_once(runtime)
        assert post_in(runtime, toot.id).state == "sent"
        assert len(fake_mastodon.statuses) == 1

    @pytest.mark.parametrize(
        ("trouble", "says"),
        [
            ("token revoked", "access token"),  # PermanentError from the look-back
            ("key expired", "idempotency key for one hour"),  # OutcomeUnknown from it
        ],
    )
    def test_a_look_back_that_cannot_tell_leaves_the_post_unknown_for_a_person(
        self,
        daemon_settings: Settings,
        open_runtime: Open,
        fake_mastodon: FakeMastodon,
        trouble: str,
        says: str,
    ):
        now = datetime.now(UTC)
        at = now - timedelta(hours=2) if trouble == "key expired" else now
        toot = make_post("toot", platform="mastodon", at=at)
        runtime = open_runtime(daemon_settings(grace_minutes=180))
        runtime.ledger.sync([toot], now=at - timedelta(hours=1))
        self.leave_sending(runtime, toot.id, DEAD, at)
        assert runtime.publisher.connections.get("mastodon") is not None
        if trouble == "token revoked":
            fake_mastodon.token = "revoked"
        run_once(runtime)
        unknown = post_in(runtime, toot.id)
        assert unknown.state == "unknown"
        assert says in (unknown.last_error or "")
        assert fake_mastodon.statuses == []

    def test_a_live_workers_post_is_left_alone(
        self, daemon_settings: Settings, open_runtime: Open, fake_x: FakeX
    ):
        (post,) = x_posts(1, datetime.now(UTC))
        runtime = open_runtime(daemon_settings(x=fake_x))
        runtime.ledger.sync([post], now=datetime.now(UTC) - timedelta(hours=1))
        as_worker(runtime.ledger, DEAD).beat(datetime.now(UTC))
        self.leave_sending(runtime, post.id, DEAD, datetime.now(UTC))
        run_once(runtime)
        assert post_in(runtime, post.id).state == "sending"
        assert fake_x.calls() == []
