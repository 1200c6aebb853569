"""A planned post: the rendered, length-checked unit that previews show and the queue stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from campaign.platforms.images import Image
from campaign.platforms.registry import platform as platform_spec


def post_id(
    campaign: str,
    event: str,
    announcement: str,
    platform: str,
    thread: int,
    language: str | None = None,
) -> str:
    """The stable id of one post: the same plan always yields the same ids.

    Short enough to type in ``campaign cancel ID``. ``language`` is given for a post in
    another language than its campaign's main one (the first of its ``languages:``), so the
    posts of a campaign keep their ids when it gains a language.
    """
    key = f"{campaign}\x1f{event}\x1f{announcement}\x1f{platform}\x1f{thread}"
    if language is not None:
        key += f"\x1f{language}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Post:
    """One post (or one part of a thread) exactly as it will go out.

    ``scheduled_at`` is aware and in UTC; ``timezone`` is the IANA zone it was planned in.
    ``time_note`` explains how a local time that does not exist or is ambiguous (a DST
    change) was resolved, and is empty otherwise. ``source`` is ``file:line`` of the
    announcement that made the post. ``limit_from`` says whose ``limit`` it is where a
    server sets its own (see :attr:`campaign.platforms.base.PlatformSpec.limits_from`).
    ``language`` is the post's BCP 47 language (``None`` when the campaign names no
    ``languages:``); ``id_language`` is the same when it is part of the post's id (see
    :func:`post_id`), else ``None``.
    """

    id: str
    campaign: str
    event: str
    announcement: str
    platform: str
    scheduled_at: datetime
    timezone: str
    text: str
    length: int
    limit: int
    thread: int = 1
    thread_size: int = 1
    links: tuple[str, ...] = ()
    media: tuple[Image, ...] = ()
    source: str = ""
    time_note: str = ""
    event_title: str = ""
    language: str | None = None
    id_language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    limit_from: str = ""

    @classmethod
    def planned(
        cls,
        *,
        id: str,
        campaign: str,
        event: str,
        announcement: str,
        platform: str,
        scheduled_at: datetime,
        timezone: str,
        text: str,
        length: int,
        limit: int,
        thread: int,
        thread_size: int,
        links: tuple[str, ...],
        media: tuple[Image, ...],
        source: str,
        time_note: str,
        event_title: str,
        language: str | None,
        id_language: str | None,
        extra: dict[str, Any],
        limit_from: str = "",
    ) -> Post:
        """The same post as ``Post(...)`` with every field given, built ten times faster.

        A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
        the planner makes thousands of posts, so it fills the instance's dict at once.
        """
        post = object.__new__(cls)
        post.__dict__.update(
            id=id,
            campaign=campaign,
            event=event,
            announcement=announcement,
            platform=platform,
            scheduled_at=scheduled_at,
            timezone=timezone,
            text=text,
            length=length,
            limit=limit,
            thread=thread,
            thread_size=thread_size,
            links=links,
            media=media,
            source=source,
            time_note=time_note,
            event_title=event_title,
            language=language,
            id_language=id_language,
            extra=extra,
            limit_from=limit_from,
        )
        return post

    @property
    def local_time(self) -> datetime:
        """``scheduled_at`` in the zone the campaign planned it in."""
        return self.scheduled_at.astimezone(ZoneInfo(self.timezone))

    @property
    def previous_id(self) -> str | None:
        """The id of the thread part this one replies to, or ``None`` for a first part."""
        if self.thread == 1:
            return None
        return self._part_id(self.thread - 1)

    @property
    def root_id(self) -> str:
        """The id of this thread's first part (its own id for a single post)."""
        return self._part_id(1)

    def _part_id(self, thread: int) -> str:
        """The id of part ``thread`` of this post's thread."""
        return post_id(
            self.campaign, self.event, self.announcement, self.platform, thread, self.id_language
        )

    @property
    def over_limit(self) -> int:
        """How far over the platform's limit the text is (0 when it fits)."""
        return max(0, self.length - self.limit)

    def is_past(self, now: datetime | None = None) -> bool:
        """Whether the post's time has already gone by."""
        return self.scheduled_at < (now or datetime.now(UTC))

    def content_digest(self) -> str:
        """A digest of everything that, if changed, makes this a different post to publish."""
        payload = {
            "text": self.text,
            "scheduled_at": self.scheduled_at.isoformat(),
            "media": [(m.sha256, m.alt) for m in self.media],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The post as the JSON object ``campaign preview --json`` prints."""
        return {
            "id": self.id,
            "campaign": self.campaign,
            "event": self.event,
            "announcement": self.announcement,
            "platform": self.platform,
            "scheduled_at": self.scheduled_at.isoformat(),
            "local_time": self.local_time.isoformat(),
            "timezone": self.timezone,
            "text": self.text,
            "display_text": platform_spec(self.platform).display(self.text),
            "length": self.length,
            "limit": self.limit,
            "limit_from": self.limit_from,
            "thread": self.thread,
            "thread_size": self.thread_size,
            "links": list(self.links),
            "media": [{"path": m.source, "alt": m.alt} for m in self.media],
            "source": self.source,
            "time_note": self.time_note,
            "language": self.language,
        }
