"""A post as the ledger holds it: what the queue shows and what the daemon publishes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class StoredImage:
    """An image of a queued post as its ``media`` entry names it: the path it was planned
    from (for people), its alt text, its type and the SHA-256 of its bytes, which the ledger's
    ``media`` table holds (``None`` when an upgrade could not read the file)."""

    path: str
    alt: str
    mime_type: str
    sha256: str | None = None

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> StoredImage:
        """Build from one entry of a ``posts.media`` JSON list."""
        return cls(entry["path"], entry["alt"], entry["mime_type"], entry.get("sha256"))


@dataclass(frozen=True)
class QueuedPost:
    """One row of the ledger, read-only: its plan, its state and what became of it.

    Times are aware UTC datetimes; ``timezone`` is the IANA zone the post was planned in.
    ``attempts`` counts the failed tries that used up the retry budget (rate limits do not);
    ``tries`` how many times the daemon took the post to publish it (0 unless read by
    :meth:`~campaign.store.ledger.Ledger.list`).
    ``language`` is the post's BCP 47 language (``None`` for a campaign without languages).
    """

    id: str
    campaign: str
    event: str
    announcement: str
    platform: str
    state: str
    scheduled_at: datetime
    not_before: datetime | None
    timezone: str
    text: str
    media: tuple[StoredImage, ...]
    links: tuple[str, ...]
    thread: int
    thread_size: int
    previous_id: str | None
    root_id: str
    attempts: int
    remote_id: str | None
    remote_url: str | None
    last_error: str | None
    updated_at: datetime
    sent_at: datetime | None
    source: str = ""
    tries: int = 0
    language: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> QueuedPost:
        """Build from a ``posts`` row mapping (a Core ``RowMapping`` or a dict)."""
        return cls(
            id=row["id"],
            campaign=row["campaign"],
            event=row["event"],
            announcement=row["announcement"],
            platform=row["platform"],
            state=row["state"],
            scheduled_at=row["scheduled_at"],
            not_before=row["not_before"],
            timezone=row["timezone"],
            text=row["text"],
            media=tuple(StoredImage.from_entry(m) for m in row["media"] or ()),
            links=tuple(row["links"] or ()),
            thread=row["thread"],
            thread_size=row["thread_size"],
            previous_id=row["previous_id"],
            root_id=row["root_id"],
            attempts=row["attempts"],
            remote_id=row["remote_id"],
            remote_url=row["remote_url"],
            last_error=row["last_error"],
            updated_at=row["updated_at"],
            sent_at=row["sent_at"],
            source=row["source"],
            tries=row.get("tries", 0),
            language=row.get("language"),
        )

    @property
    def due_at(self) -> datetime:
        """When the post is due: its retry time (``not_before``) if later than its plan's."""
        return max(self.scheduled_at, self.not_before or self.scheduled_at)

    @property
    def local_time(self) -> datetime:
        """``scheduled_at`` in the zone the campaign planned it in."""
        return self.scheduled_at.astimezone(ZoneInfo(self.timezone))

    def to_json(self) -> dict[str, Any]:
        """The post as ``campaign queue --json`` prints it (times in ISO 8601, UTC)."""
        return {
            "id": self.id,
            "campaign": self.campaign,
            "event": self.event,
            "announcement": self.announcement,
            "platform": self.platform,
            "state": self.state,
            "scheduled_at": self.scheduled_at.isoformat(),
            "local_time": self.local_time.isoformat(),
            "timezone": self.timezone,
            "not_before": _iso(self.not_before),
            "text": self.text,
            "thread": self.thread,
            "thread_size": self.thread_size,
            "previous_id": self.previous_id,
            "root_id": self.root_id,
            "links": list(self.links),
            "media": [{"path": m.path, "alt": m.alt} for m in self.media],
            "attempts": self.attempts,
            "tries": self.tries,
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "last_error": self.last_error,
            "source": self.source,
            "language": self.language,
            "updated_at": self.updated_at.isoformat(),
            "sent_at": _iso(self.sent_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
