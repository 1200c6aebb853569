"""The ledger's tables: the source of truth for every planned post and what became of it.

``posts`` holds one row per post (one part of a thread each), ``media`` the bytes of every
image a post carries (one row per distinct image, by its SHA-256), ``attempts`` the history
of every try to publish one, ``heartbeats`` the daemons alive on this ledger,
``post_events`` each post's history of state changes, ``post_metrics`` each reading of a sent
post's public figures (likes, reposts, …), ``short_links`` and ``clicks`` the
first-party link tracking, and ``meta`` facts about the ledger itself (its random
``ledger_id``). Times are stored in UTC.
Schema changes go through the versioned migrations in ``campaign/store/migrations``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding the ledger's metadata."""


class PostRow(Base):
    """One planned post and its current state."""

    __tablename__ = "posts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(200), index=True)
    event: Mapped[str] = mapped_column(String(200))
    announcement: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)  # BCP 47
    text: Mapped[str] = mapped_column(Text)
    media: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    thread: Mapped[int] = mapped_column(Integer, default=1)
    thread_size: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    root_id: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    remote_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_posts_state_scheduled_at", "state", "scheduled_at"),
        # A platform's next due post (the daemon's claim), however many of other platforms
        # are due before it; also serves every read by state alone.
        Index("ix_posts_state_platform_scheduled_at", "state", "platform", "scheduled_at"),
        Index("ix_posts_scheduled_at", "scheduled_at"),
    )


class MediaRow(Base):
    """The bytes of one image some post carries, stored once however many posts carry it.

    Posts name their images by ``sha256`` in their ``media`` entries (with the path they
    were planned from and their alt text), so a queued post needs nothing outside the ledger.
    """

    __tablename__ = "media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AttemptRow(Base):
    """One try to publish a post, with how it ended."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    worker: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class HeartbeatRow(Base):
    """A daemon working on this ledger, and when it last said it was alive."""

    __tablename__ = "heartbeats"

    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    # What keeps it from working (e.g. outcomes it cannot write), None while all is well.
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)


class ShortLinkRow(Base):
    """A first-party short code and the one target it redirects to."""

    __tablename__ = "short_links"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str] = mapped_column(String(32), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    campaign: Mapped[str] = mapped_column(String(200), index=True)
    announcement: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClickRow(Base):
    """``hits`` visits through a short link within one second from ``at``, alike in referrer
    host, agent class and bot flag; no IP address is ever stored.

    The redirector stores clicks this way (see :mod:`campaign.store.clicks`): a burst on one
    link is a row a second, not a row a click. A row written one click at a time (and every
    row of a ledger from before 0010) has ``hits`` 1 and the click's own time. Count clicks
    as the sum of ``hits``, never the number of rows.
    """

    __tablename__ = "clicks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(ForeignKey("short_links.code"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    referrer_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    agent_class: Mapped[str] = mapped_column(String(32))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    hits: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


LEDGER_ID = "ledger_id"


class PostEventRow(Base):
    """One change of one post's state: when, from what to what, by which worker, and why."""

    __tablename__ = "post_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_state: Mapped[str] = mapped_column(String(16))
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MetricRow(Base):
    """One reading of a sent post's public figures, taken at one of the daemon's ages.

    ``age_seconds`` is the age after publishing the reading stands for (3600 for "1 h");
    ``outcome`` is ``read`` (figures as the platform gave them, ``None`` where it gives none),
    ``unavailable`` (the platform gives none for this post; ``note`` says why) or ``failed``
    (given up after failing reads; ``note`` has the last error).
    """

    __tablename__ = "post_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(32))
    age_seconds: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    likes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reposts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replies: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quotes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bookmarks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    impressions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_post_metrics_post_id_age", "post_id", "age_seconds"),)


class MetaRow(Base):
    """A fact about the ledger itself, e.g. ``ledger_id``: random, stored once at creation."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InstanceRow(Base):
    """The limits a platform's server says it sets (a Mastodon server's ``/api/v2/instance``),
    as ``campaign accounts check`` or the daemon last read them; one row per platform."""

    __tablename__ = "instances"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    server: Mapped[str] = mapped_column(String(255))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkCardRow(Base):
    """The link card of one page, read from its Open Graph tags when a post linking to it was
    scheduled; its image's bytes are in ``media`` (by ``thumb_sha256``). ``readable`` is False
    when the page could not be read (``note`` says why): posts then carry a plain link."""

    __tablename__ = "link_cards"

    uri: Mapped[str] = mapped_column(String(2000), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    thumb_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    readable: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
