"""What the calendar shows: posts from the ledger and posts only planned, as one kind of entry.

An :class:`Entry` is one post as people think of it: a single post, or a whole thread with
its parts in order (on LinkedIn, which has no threads, a thread is already one post).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from campaign.platforms.registry import platform
from campaign.render.post import Post
from campaign.store.queued import QueuedPost
from campaign.store.states import CANCELLED, FAILED, MISSED, SCHEDULED, SENDING, SENT, UNKNOWN

PLANNED = "planned"
P = TypeVar("P", QueuedPost, Post)

#: How each state is told apart without colour: a symbol and a word (``state-<name>`` styles it).
STATE_ICONS = {
    PLANNED: "◇",
    SCHEDULED: "◷",
    SENDING: "➤",
    SENT: "✓",
    FAILED: "✗",
    MISSED: "⚠",
    CANCELLED: "⊘",
    UNKNOWN: "?",
}
# Which part's state speaks for a thread: the first part in the first of these states.
_THREAD_STATE_ORDER = (UNKNOWN, FAILED, MISSED, SENDING, SCHEDULED, PLANNED, CANCELLED, SENT)


@dataclass(frozen=True)
class Part:
    """One post, or one part of a thread, as a card shows it."""

    id: str
    thread: int
    state: str
    text: str
    length: int
    limit: int
    unit: str
    links: tuple[str, ...]
    images: tuple[tuple[str, str], ...]  # (file name, alt text)
    remote_url: str | None
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class Entry:
    """A single post or a whole thread: what the calendar places at one time."""

    id: str
    campaign: str
    event: str
    announcement: str
    platform: str
    scheduled_at: datetime
    timezone: str
    parts: tuple[Part, ...]
    updated_at: datetime | None = None
    language: str = ""  # BCP 47; empty for a campaign without languages

    @cached_property
    def state(self) -> str:
        """The state that speaks for the whole entry (a failed part before a sent one)."""
        states = {part.state for part in self.parts}
        return next(state for state in _THREAD_STATE_ORDER if state in states)

    @property
    def icon(self) -> str:
        """The symbol shown beside the state's name."""
        return STATE_ICONS[self.state]

    @property
    def title(self) -> str:
        """``platform · announcement · event`` (``· language`` when it has one), as calendars
        show it."""
        title = f"{platform(self.platform).title} · {self.announcement} · {self.event}"
        return f"{title} · {self.language}" if self.language else title

    def local(self, zone: ZoneInfo) -> datetime:
        """The entry's time in ``zone``."""
        return self.scheduled_at.astimezone(zone)


def from_ledger(posts: Iterable[QueuedPost]) -> list[Entry]:
    """The entries of ledger posts, a thread's parts gathered under its first part."""
    return _gathered(posts, _queued_part, lambda parts: max(p.updated_at for p in parts))


def from_plan(posts: Sequence[Post]) -> list[Entry]:
    """The entries of planned posts (state ``planned``), rendered exactly as ``preview``."""
    return _gathered(posts, _planned_part, lambda parts: None)


def _gathered(
    posts: Iterable[P],
    part_of: Callable[[P], Part],
    updated: Callable[[list[P]], datetime | None],
) -> list[Entry]:
    """One entry per thread (or single post) of ``posts``, its parts in order."""
    threads: dict[str, list[P]] = {}
    for post in posts:
        threads.setdefault(post.root_id, []).append(post)
    entries = []
    for parts in threads.values():
        parts.sort(key=lambda p: p.thread)
        first = parts[0]
        entries.append(
            Entry(
                id=first.root_id,
                campaign=first.campaign,
                event=first.event,
                announcement=first.announcement,
                platform=first.platform,
                scheduled_at=first.scheduled_at,
                timezone=first.timezone,
                parts=tuple(part_of(p) for p in parts),
                updated_at=updated(parts),
                language=first.language or "",
            )
        )
    return sorted(entries, key=_order)


def _order(entry: Entry) -> tuple[datetime, str, str]:
    return entry.scheduled_at, entry.platform, entry.id


def _queued_part(post: QueuedPost) -> Part:
    spec = platform(post.platform)
    return Part(
        id=post.id,
        thread=post.thread,
        state=post.state,
        text=post.text,
        length=spec.count(post.text),
        limit=spec.limit,
        unit=spec.unit,
        links=post.links,
        images=tuple((image.path.rsplit("/", 1)[-1], image.alt) for image in post.media),
        remote_url=post.remote_url,
        last_error=post.last_error,
        sent_at=post.sent_at,
    )


def _planned_part(post: Post) -> Part:
    return Part(
        id=post.id,
        thread=post.thread,
        state=PLANNED,
        text=post.text,
        length=post.length,
        limit=post.limit,
        unit=platform(post.platform).unit,
        links=post.links,
        images=tuple((image.name, image.alt) for image in post.media),
        remote_url=None,
        last_error=None,
        sent_at=None,
    )
