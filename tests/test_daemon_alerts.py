"""The daemon alerts people: a post that failed or is unknown, a platform whose due posts wait
past CAMPAIGN_ALERT_AFTER, once each, resolved when it ends; and alerting never stops
publishing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from campaign.daemon.config import DaemonSettings
from campaign.daemon.runtime import Runtime, run_once
from campaign.store.states import FAILED, SENT
from tests.fakes.alert_receivers import WebhookReceiver
from tests.fakes.mastodon_api import FakeMastodon
from tests.ledger_helpers import force_state, make_post

Settings = Callable[..., DaemonSettings]
Open = Callable[..., Runtime]


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def alerting(monkeypatch: pytest.MonkeyPatch, webhook: WebhookReceiver) -> None:
    monkeypatch.setenv("CAMPAIGN_ALERT_WEBHOOK_URL", f"{webhook.url}/hooks/secret-token-123")
    monkeypatch.setenv("CAMPAIGN_ALERT_WEBHOOK_FORMAT", "json")


def mastodon_env(monkeypatch: pytest.MonkeyPatch, fake: FakeMastodon) -> None:
    monkeypatch.setenv("CAMPAIGN_MASTODON_API_BASE_URL", fake.url)
    monkeypatch.setenv("CAMPAIGN_MASTODON_ACCESS_TOKEN", fake.token)


def sent_alerts(runtime: Runtime, webhook: WebhookReceiver) -> list[tuple[str, str]]:
    """Send what is queued and list (status, key) as the receiver got them."""
    assert runtime.alerts is not None
    runtime.alerts.alerter.stop()
    return [(body["status"], body["alert"]) for _, body in webhook.received]


def test_a_failed_post_is_alerted_once_with_its_fix_then_resolved(
    daemon_settings: Settings,
    open_runtime: Open,
    fake_mastodon: FakeMastodon,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = daemon_settings()
    alerting(monkeypatch, webhook)
    mastodon_env(monkeypatch, fake_mastodon)
    now = datetime.now(UTC)
    toot = make_post("toot", platform="mastodon", at=now)
    runtime = open_runtime(settings)
    assert runtime.alerts is not None
    runtime.ledger.sync([toot], now=now - timedelta(minutes=5))
    fake_mastodon.fault("publish", "reject")
    run_once(runtime)
    assert runtime.ledger.get(toot.id).state == FAILED
    runtime.alerts.poll()
    runtime.alerts.poll()
    force_state(runtime.ledger, toot.id, SENT, remote_id="1", sent_at=now)
    runtime.alerts.poll()
    assert sent_alerts(runtime, webhook) == [
        ("problem", f"post:{toot.id}:failed"),
        ("resolved", f"post:{toot.id}:failed"),
    ]
    body = webhook.received[0][1]
    assert body["command"] == f"campaign retry {toot.id}"
    assert body["details"]["event"] == "toot"
    assert body["details"]["text"].startswith("reminder for toot")
    assert "secret-token-123" not in str([body for _, body in webhook.received])


def test_a_platform_without_credentials_is_alerted_after_the_delay(
    daemon_settings: Settings,
    open_runtime: Open,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = daemon_settings(grace_minutes=60)
    alerting(monkeypatch, webhook)
    monkeypatch.setenv("CAMPAIGN_ALERT_AFTER", "10m")
    now = datetime.now(UTC)
    early = make_post("early", platform="bluesky", at=now - timedelta(minutes=12))
    runtime = open_runtime(settings)
    assert runtime.alerts is not None
    runtime.ledger.sync([early], now=now - timedelta(minutes=30))
    run_once(runtime)  # no Bluesky credentials: the post stays scheduled
    # status counts a post as overdue past the grace window; the alert waits ALERT_AFTER.
    problems = runtime.alerts.problems(now + timedelta(minutes=61))
    assert "platform:bluesky:stalled" in problems
    assert "campaign accounts check bluesky" in problems["platform:bluesky:stalled"].command
    assert runtime.alerts.problems(now) == {}


def test_an_alert_that_cannot_be_sent_never_stops_publishing(
    daemon_settings: Settings,
    open_runtime: Open,
    fake_mastodon: FakeMastodon,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = daemon_settings()
    alerting(monkeypatch, webhook)
    mastodon_env(monkeypatch, fake_mastodon)
    webhook.answer = 500
    now = datetime.now(UTC)
    posts = [make_post(f"p{n}", platform="mastodon", at=now) for n in range(2)]
    runtime = open_runtime(settings)
    assert runtime.alerts is not None
    runtime.ledger.sync(posts, now=now - timedelta(minutes=5))
    fake_mastodon.fault("publish", "reject")
    run_once(runtime)
    runtime.alerts.poll()
    sent_alerts(runtime, webhook)
    states = sorted(runtime.ledger.get(post.id).state for post in posts)
    assert states == [FAILED, SENT]
    assert len(webhook.received) == 1  # tried, refused by the receiver, publishing went on


def test_a_dry_run_alerts_nobody(
    daemon_settings: Settings,
    open_runtime: Open,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = daemon_settings()
    alerting(monkeypatch, webhook)
    runtime = open_runtime(settings, dry_run=True)
    assert runtime.alerts is None
