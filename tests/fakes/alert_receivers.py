"""Where alerts land in tests: an incoming-webhook receiver and an SMTP server, both on
loopback (aiosmtpd is a real SMTP server)."""

from __future__ import annotations

import json
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.fakes._http import FakeHandler, FakeServer


class _WebhookHandler(FakeHandler):
    def do_POST(self) -> None:
        fake: WebhookReceiver = self.server.fake  # type: ignore[attr-defined]
        body = json.loads(self.read_body() or b"null")
        with fake.lock:
            fake.received.append((self.path, body))
            status = fake.answer
        self.send_json(status, {"ok": status < 300})


class WebhookReceiver(FakeServer):
    """Records every JSON body POSTed to it; answers ``answer`` (200 unless a test says)."""

    handler = _WebhookHandler

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[str, Any]] = []
        self.answer = 200


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


class MailServer:
    """An SMTP server on 127.0.0.1 collecting what it is sent in ``messages``."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = _Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far."""
        return self.inbox.messages

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
