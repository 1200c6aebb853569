"""The daemon reads sent posts' figures at fixed ages, and publishing always comes first.

In-process, with the real X adapter (tweepy) against the fake X and a real SQLite ledger: the
posts go out through :func:`run_once`, then the daemon's clock is moved forward (no waiting)
and a metrics round reads what is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.daemon.main import load_settings
from campaign.daemon.runtime import Runtime, run_once
from campaign.errors import ConfigurationError
from campaign.store import metrics as ledger_metrics
from campaign.store.schema import MetricRow
from tests.daemon_helpers import x_posts
from tests.fakes.x_api import FakeX

HOUR = timedelta(hours=1)


@pytest.fixture
def sent(
    fake_x: FakeX,
    daemon_settings: Callable[..., object],
    open_runtime: Callable[..., Runtime],
) -> Callable[..., Runtime]:
    """A runtime on the fake X whose ``count`` posts went out just now (``settings`` passed
    on to the daemon's settings)."""

    def make(count: int = 3, **settings: object) -> Runtime:
        runtime = open_runtime(daemon_settings(x=fake_x, **settings))
        now = datetime.now(UTC)
        runtime.ledger.sync(x_posts(count, now - timedelta(seconds=1)), now=now - HOUR)
        assert run_once(runtime).ok
        assert runtime.metrics is not None
        return runtime

    return make


def later(runtime: Runtime, by: timedelta) -> None:
    """Move the daemon's clock ``by`` forward."""
    runtime.clock.offset += by


def readings(runtime: Runtime) -> list[tuple[str, int, str]]:
    """(post id, age in hours, outcome) of every reading, in the order taken."""
    query = select(MetricRow.post_id, MetricRow.age_seconds, MetricRow.outcome).order_by(
        MetricRow.id
    )
    with runtime.ledger.engine.connect() as connection:
        return [(p, a // 3600, o) for p, a, o in connection.execute(query)]


class TestReadings:
    def test_each_post_is_read_at_1h_24h_and_7d_in_one_request_per_round(
        self, sent: Callable[..., Runtime], fake_x: FakeX
    ) -> None:
        runtime = sent(3)
        assert runtime.metrics is not None
        first = runtime.ledger.list()[0]
        fake_x.set_figures(first.remote_id or "", likes=12, reposts=3, impressions=480)
        assert runtime.metrics.round().requests == 0  # nothing is an hour old yet
        for age, hours in ((HOUR, 1), (23 * HOUR, 24), (6 * 24 * HOUR, 168)):
            later(runtime, age)
            report = runtime.metrics.round()
            assert (report.requests, report.read) == (1, 3)
            assert runtime.metrics.round().requests == 0  # read once per age
            assert {a for _, a, _ in readings(runtime)} >= {hours}
        later(runtime, 30 * 24 * HOUR)
        assert runtime.metrics.round().requests == 0  # 7 d was the last age
        assert len(readings(runtime)) == 9
        assert len(fake_x.calls("metrics")) == 3
        latest = ledger_metrics.latest(runtime.ledger.engine, [first.id])[first.id]
        assert latest.figures["likes"] == 12
        assert latest.figures["impressions"] == 480
        assert latest.age == timedelta(days=7)

    def test_a_daemon_back_after_a_week_takes_one_reading_not_three(
        self, sent: Callable[..., Runtime]
    ) -> None:
        runtime = sent(2)
        assert runtime.metrics is not None
        later(runtime, 8 * 24 * HOUR)
        runtime.metrics.round()
        assert sorted(readings(runtime)) == sorted(
            (post.id, 168, "read") for post in runtime.ledger.list()
        )

    def test_the_ages_come_from_campaign_metrics_at(self, sent: Callable[..., Runtime]) -> None:
        runtime = sent(1, metrics_at="30m")
        assert runtime.metrics is not None
        later(runtime, timedelta(minutes=31))
        assert runtime.metrics.round().read == 1
        later(runtime, 30 * 24 * HOUR)
        assert runtime.metrics.round().read == 0

    def test_a_deleted_post_is_recorded_as_not_available(
        self, sent: Callable[..., Runtime], fake_x: FakeX
    ) -> None:
        runtime = sent(1)
        assert runtime.metrics is not None
        with fake_x.lock:
            fake_x.tweets.clear()
        later(runtime, HOUR)
        runtime.metrics.round()
        [(_, _, outcome)] = readings(runtime)
        assert outcome == "unavailable"
        assert ledger_metrics.latest(runtime.ledger.engine) == {}


class TestSettings:
    def test_empty_turns_metrics_off(
        self, daemon_settings: Callable[..., object], open_runtime: Callable[..., Runtime]
    ) -> None:
        assert open_runtime(daemon_settings(metrics_at="")).metrics is None

    @pytest.mark.parametrize("value", ["3x", "1h,0d", "soon"])
    def test_a_bad_age_is_refused_naming_the_variable(
        self, value: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CAMPAIGN_METRICS_AT", value)
        with pytest.raises(ConfigurationError, match=r"CAMPAIGN_METRICS_AT: .* e\.g\. 1h,24h,7d"):
            load_settings()


class TestPublishingFirst:
    def test_failing_reads_are_retried_then_given_up_quietly(
        self, sent: Callable[..., Runtime], fake_x: FakeX, caplog: pytest.LogCaptureFixture
    ) -> None:
        runtime = sent(2, max_attempts=3, backoff_seconds=60, backoff_cap_seconds=60)
        assert runtime.metrics is not None
        fake_x.fault("metrics", "server_error", times=3)
        later(runtime, HOUR)
        with caplog.at_level(logging.WARNING, "campaign.daemon"):
            assert runtime.metrics.round().requests == 1
            assert runtime.metrics.round().requests == 0  # backing off
            later(runtime, 2 * timedelta(minutes=1))
            assert runtime.metrics.round().requests == 1
            later(runtime, 2 * timedelta(minutes=1))
            assert runtime.metrics.round().gave_up == 2
        assert [o for _, _, o in readings(runtime)] == ["failed", "failed"]
        assert [r.levelno for r in caplog.records] == [logging.WARNING] * 3
        later(runtime, 23 * HOUR)
        assert runtime.metrics.round().read == 2  # the next age is read as usual

    def test_a_rate_limited_read_pauses_reads_but_not_posts(
        self, sent: Callable[..., Runtime], fake_x: FakeX
    ) -> None:
        runtime = sent(1)
        assert runtime.metrics is not None
        fake_x.set_rate_limit_reset(runtime.clock.now() + 2 * HOUR)
        fake_x.fault("metrics", "rate_limit")
        later(runtime, HOUR)
        assert runtime.metrics.round().deferred == 1
        assert runtime.metrics.round().requests == 0  # reads wait for the reset
        due = runtime.clock.now()
        runtime.ledger.sync(x_posts(1, due, prefix="after"), now=due - HOUR)
        run_once(runtime)
        assert [p.state for p in runtime.ledger.list()] == ["sent", "sent"]
        later(runtime, 2 * HOUR)
        report = runtime.metrics.round()
        assert (report.requests, report.read) == (1, 2)  # both posts, once the reset passed

    def test_a_read_waits_while_a_post_of_its_platform_is_due(
        self, sent: Callable[..., Runtime], fake_x: FakeX
    ) -> None:
        runtime = sent(1)
        assert runtime.metrics is not None
        runtime.metrics.patience = 0.05
        later(runtime, HOUR)
        due = runtime.clock.now()
        runtime.ledger.sync(x_posts(1, due, prefix="due"), now=due - HOUR)
        report = runtime.metrics.round()
        assert (report.requests, report.deferred) == (0, 1)
        assert fake_x.calls("metrics") == []
        run_once(runtime)  # the post goes out, then the round reads
        assert len(fake_x.calls("metrics")) == 1
