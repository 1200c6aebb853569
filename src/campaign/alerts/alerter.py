"""Deciding what to send: each problem once, a reminder while it lasts, "resolved" at its end.

The daemon calls :meth:`Alerter.reconcile` at each poll with every problem it sees now (by
key). A key not seen before is sent as a problem; one still open is reminded of every
``CAMPAIGN_ALERT_REMIND_HOURS``; one no longer seen is sent as resolved. Messages go out
from a thread of its own, so a slow or failing receiver never holds up publishing: a failure
is logged (without the webhook URL or any password) and the alert is dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from campaign.alerts.message import Alert, Status
from campaign.alerts.senders import AlertNotSent, post_webhook, send_email
from campaign.alerts.settings import AlertSettings

log = logging.getLogger("campaign.alerts")


@dataclass
class _Open:
    alert: Alert
    since: datetime
    last_sent: datetime


class Alerter:
    """Sends the alerts ``settings`` ask for; does nothing at all when none are set."""

    def __init__(
        self,
        settings: AlertSettings,
        clock: Callable[[], datetime],
        *,
        webhook: Callable[[str, dict[str, Any]], None] = post_webhook,
        mail: Callable[[str, EmailMessage], None] = send_email,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._webhook = webhook
        self._mail = mail
        self._open: dict[str, _Open] = {}
        self._queue: queue.Queue[tuple[Alert, Status, datetime] | None] = queue.Queue(1000)
        self._thread: threading.Thread | None = None

    def reconcile(self, problems: Mapping[str, Alert]) -> None:
        """Make the alerts sent match ``problems``, the ones seen now, by key."""
        if not self.settings.enabled:
            return
        now = self._clock()
        for key, alert in problems.items():
            known = self._open.get(key)
            if known is None:
                self._open[key] = _Open(alert, now, now)
                self._enqueue(alert, "problem", now)
            elif now - known.last_sent >= self.settings.remind_every:
                known.last_sent = now
                self._enqueue(alert, "reminder", now)
        for key in [key for key in self._open if key not in problems]:
            self._enqueue(self._open.pop(key).alert, "resolved", now)

    @property
    def open_keys(self) -> set[str]:
        """The problems alerted and not yet resolved."""
        return set(self._open)

    def start(self) -> None:
        """Start the sending thread (once)."""
        if self._thread is None and self.settings.enabled:
            self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Send what is queued (waiting at most ``timeout`` seconds), then stop."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _enqueue(self, alert: Alert, status: Status, at: datetime) -> None:
        try:
            self._queue.put_nowait((alert, status, at))
        except queue.Full:
            log.error(
                "alert %s (%s) dropped: too many alerts waiting to be sent", alert.key, status
            )
        if self._thread is None:
            self.start()

    def _run(self) -> None:
        while isinstance(item := self._queue.get(), tuple):
            alert, status, at = item
            self.send(alert, status, at)

    def send(self, alert: Alert, status: Status, at: datetime) -> None:
        """Deliver one alert to every configured place now, logging what fails."""
        settings = self.settings
        if settings.alert_webhook_url is not None:
            url = settings.alert_webhook_url.get_secret_value()
            body = alert.webhook_body(settings.alert_webhook_format, status, at)
            self._try(alert, status, lambda: self._webhook(url, body))
        if settings.smtp_url is not None and settings.alert_email_to:
            server = settings.smtp_url.get_secret_value()
            message = alert.email(status, at, settings.alert_email_from, settings.alert_email_to)
            self._try(alert, status, lambda: self._mail(server, message))

    @staticmethod
    def _try(alert: Alert, status: Status, deliver: Callable[[], None]) -> None:
        try:
            deliver()
        except AlertNotSent as exc:
            log.warning("alert %s (%s) not sent: %s", alert.key, status, exc)
        else:
            log.info("alert %s (%s) sent", alert.key, status)
