"""Sending one alert: a JSON POST to an incoming webhook, or an e-mail over SMTP.

E-mail goes over SMTPS (``smtps://``) or STARTTLS (``smtp://``); without either it goes only
to a relay on this machine (loopback), so a password never crosses a network in clear.
Errors raise :class:`AlertNotSent` naming the host, never the webhook URL or password.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

TIMEOUT = 10.0  # seconds: an alert never waits long on a slow receiver


class AlertNotSent(Exception):
    """An alert could not be delivered; the message says where it was going and why."""


def post_webhook(url: str, body: dict[str, Any], timeout: float = TIMEOUT) -> None:
    """POST ``body`` as JSON to ``url``; raises :class:`AlertNotSent` on any failure."""
    host = urlsplit(url).hostname or "?"
    try:
        answer = httpx.post(url, json=body, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise AlertNotSent(f"webhook at {host}: {type(exc).__name__}") from None
    if answer.status_code >= 300:
        raise AlertNotSent(f"webhook at {host} answered {answer.status_code}")


def send_email(smtp_url: str, message: EmailMessage, timeout: float = TIMEOUT) -> None:
    """Send ``message`` through the server ``smtp_url`` names; raises :class:`AlertNotSent`."""
    parts = urlsplit(smtp_url)
    host = parts.hostname or "localhost"
    secure = parts.scheme == "smtps"
    if parts.scheme not in ("smtp", "smtps"):
        raise AlertNotSent(f"CAMPAIGN_SMTP_URL must start smtp:// or smtps://, not {parts.scheme}")
    port = parts.port or (465 if secure else 587)
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            if secure
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with client:
            if not secure:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif host not in ("localhost", "127.0.0.1", "::1"):
                    raise AlertNotSent(
                        f"mail server {host} offers no STARTTLS; use smtps:// or a local relay"
                    )
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except AlertNotSent:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise AlertNotSent(f"mail server {host}:{port}: {type(exc).__name__}") from None
