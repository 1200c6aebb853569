"""One alert and how it reads in each place it goes: Slack and Mattermost (``text``),
Microsoft Teams (a message card), plain JSON, and an e-mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Literal

Status = Literal["problem", "reminder", "resolved"]
_HEADLINE = {"problem": "⚠ ", "reminder": "⏰ Still: ", "resolved": "✓ Resolved: "}


@dataclass(frozen=True)
class Alert:
    """A problem people must hear of.

    ``key`` names the problem, so it is sent once however often it is seen
    (``post:<id>:failed``, ``platform:mastodon:unavailable``, ``daemon:writes``); ``details``
    say where (campaign, announcement, platform, time, the start of the text) and ``command``
    is what fixes it (``campaign retry ID``).
    """

    key: str
    title: str
    details: dict[str, str] = field(default_factory=dict)
    command: str = ""

    def headline(self, status: Status) -> str:
        """The one line that says it: a symbol, the status and the title."""
        return f"{_HEADLINE[status]}campaign: {self.title}"

    def text(self, status: Status, at: datetime) -> str:
        """The alert as plain lines: headline, details, the command, and when."""
        lines = [self.headline(status)]
        lines += [f"{name}: {value}" for name, value in self.details.items()]
        if self.command and status != "resolved":
            lines.append(f"To fix it: {self.command}")
        lines.append(f"At: {at.isoformat(timespec='seconds')}")
        return "\n".join(lines)

    def webhook_body(self, fmt: str, status: Status, at: datetime) -> dict[str, Any]:
        """The JSON body for an incoming webhook in format ``fmt``."""
        if fmt in ("slack", "mattermost"):
            return {"text": self.text(status, at)}
        if fmt == "teams":
            return {
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": self.headline(status),
                "themeColor": "2EB67D" if status == "resolved" else "D93F0B",
                "title": self.headline(status),
                "sections": [
                    {
                        "facts": [{"name": k, "value": v} for k, v in self.details.items()],
                        "text": f"To fix it: `{self.command}`" if self.command else "",
                    }
                ],
            }
        return {
            "alert": self.key,
            "status": status,
            "title": self.title,
            "details": self.details,
            "command": self.command,
            "at": at.isoformat(),
        }

    def email(self, status: Status, at: datetime, sender: str, to: str) -> EmailMessage:
        """The alert as an e-mail from ``sender`` to ``to``."""
        message = EmailMessage()
        message["Subject"] = self.headline(status)
        message["From"] = sender
        message["To"] = to
        message.set_content(self.text(status, at))
        return message
