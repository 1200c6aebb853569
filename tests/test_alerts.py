"""Alerts to a webhook and by e-mail: once per problem, reminders while it lasts, "resolved"
at its end, and never a stalled daemon or a leaked secret when delivery fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from campaign.alerts import Alert, Alerter, AlertSettings
from tests.fakes.alert_receivers import MailServer, WebhookReceiver

NOW = datetime(2030, 5, 1, 2, 0, tzinfo=UTC)
FAILED = Alert(
    key="post:abc123:failed",
    title="a post failed: darkweb-2017 live on X (Twitter)",
    details={
        "campaign": "darkweb-2017",
        "announcement": "live",
        "platform": "twitter",
        "time": "2030-05-01 04:00 CEST",
        "text": "The Dark Web workshop starts now…",
        "why": "X refused the post (403)",
    },
    command="campaign retry abc123",
)
SECRET = "T000/B000/XXXXXXXXsecret"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def alerter(webhook: WebhookReceiver, clock: Clock, **values: object) -> Alerter:
    settings = AlertSettings.model_construct(
        alert_webhook_url=SecretStr(f"{webhook.url}/services/{SECRET}"),
        alert_webhook_format="json",
        smtp_url=None,
        alert_email_to=None,
        alert_email_from="campaign@localhost",
        alert_after=timedelta(minutes=10),
        alert_remind_hours=4.0,
    ).model_copy(update=values)
    return Alerter(settings, clock)


class TestOncePerProblem:
    def test_a_problem_is_sent_once_reminded_then_resolved(self, webhook: WebhookReceiver) -> None:
        clock = Clock()
        alerts = alerter(webhook, clock)
        alerts.reconcile({FAILED.key: FAILED})
        alerts.reconcile({FAILED.key: FAILED})
        clock.now += timedelta(hours=1)
        alerts.reconcile({FAILED.key: FAILED})
        clock.now += timedelta(hours=3, minutes=1)
        alerts.reconcile({FAILED.key: FAILED})
        clock.now += timedelta(minutes=5)
        alerts.reconcile({})
        alerts.stop()
        statuses = [body["status"] for _, body in webhook.received]
        assert statuses == ["problem", "reminder", "resolved"]
        first = webhook.received[0][1]
        assert first["alert"] == FAILED.key
        assert first["command"] == "campaign retry abc123"
        assert first["details"]["platform"] == "twitter"
        assert alerts.open_keys == set()

    def test_nothing_is_sent_when_no_place_is_set(self, webhook: WebhookReceiver) -> None:
        alerts = alerter(webhook, Clock(), alert_webhook_url=None)
        alerts.reconcile({FAILED.key: FAILED})
        alerts.stop()
        assert webhook.received == []


class TestFormats:
    @pytest.mark.parametrize("fmt", ["slack", "mattermost"])
    def test_slack_and_mattermost_get_text(self, webhook: WebhookReceiver, fmt: str) -> None:
        alerts = alerter(webhook, Clock(), alert_webhook_format=fmt)
        alerts.send(FAILED, "problem", NOW)
        text = webhook.received[0][1]["text"]
        assert text.startswith("⚠ campaign: a post failed")
        assert "To fix it: campaign retry abc123" in text
        assert "platform: twitter" in text

    def test_teams_gets_a_message_card(self, webhook: WebhookReceiver) -> None:
        alerts = alerter(webhook, Clock(), alert_webhook_format="teams")
        alerts.send(FAILED, "resolved", NOW)
        card = webhook.received[0][1]
        assert card["@type"] == "MessageCard"
        assert card["title"].startswith("✓ Resolved: campaign")
        facts = {f["name"]: f["value"] for f in card["sections"][0]["facts"]}
        assert facts["announcement"] == "live"


class TestEmail:
    def test_an_alert_arrives_by_email(self, webhook: WebhookReceiver) -> None:
        with MailServer() as mail:
            alerts = alerter(
                webhook,
                Clock(),
                alert_webhook_url=None,
                smtp_url=SecretStr(f"smtp://127.0.0.1:{mail.port}"),
                alert_email_to="comms@example.org",
            )
            alerts.reconcile({FAILED.key: FAILED})
            alerts.stop()
            [message] = mail.messages
        assert message["To"] == "comms@example.org"
        assert message["Subject"] == "⚠ campaign: a post failed: darkweb-2017 live on X (Twitter)"
        body = message.get_content()
        assert "To fix it: campaign retry abc123" in body


class TestFailures:
    def test_a_failing_receiver_is_logged_without_the_secret_url(
        self, webhook: WebhookReceiver, caplog: pytest.LogCaptureFixture
    ) -> None:
        webhook.answer = 500
        alerts = alerter(webhook, Clock())
        with caplog.at_level(logging.INFO, logger="campaign.alerts"):
            alerts.send(FAILED, "problem", NOW)
        assert "answered 500" in caplog.text
        assert SECRET not in caplog.text

    def test_an_unreachable_receiver_never_raises(
        self, webhook: WebhookReceiver, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = webhook.url
        webhook.stop()
        alerts = alerter(webhook, Clock(), alert_webhook_url=SecretStr(f"{url}/x/{SECRET}"))
        with caplog.at_level(logging.INFO, logger="campaign.alerts"):
            alerts.send(FAILED, "problem", NOW)
        assert "not sent" in caplog.text
        assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("given", "minutes"), [("10", 10), ("90s", 1.5), ("2h", 120), ("1d", 1440), (5, 5)]
)
def test_alert_after_reads_durations(given: object, minutes: float) -> None:
    settings = AlertSettings(_env_file=None, alert_after=given)  # type: ignore[call-arg]
    assert settings.alert_after == timedelta(minutes=minutes)
