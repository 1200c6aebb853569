"""The campaign report's rows: posts, outcomes, clicks and engagement, grouped.

Clicks come from the redirector's counts (:mod:`campaign.clicks.report`); engagement
(likes, reposts, replies, quotes, impressions) from each post's latest reading of its public
figures (:mod:`campaign.store.metrics`), and is ``None`` wherever no platform reported it,
never a made-up zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import Engine, Table, select

from campaign.clicks.report import click_report, must_know
from campaign.errors import LedgerError
from campaign.store.metrics import Snapshot, latest
from campaign.store.schema import PostRow
from campaign.store.states import FAILED, SENT

GROUPS = ("campaign", "event", "announcement", "platform", "post")
ENGAGEMENT = ("likes", "reposts", "replies", "quotes", "impressions")
COUNTS = ("posts", "sent", "failed", "clicks_humans", "clicks_bots", *ENGAGEMENT)
POST_FIELDS = (
    "post_id",
    "platform",
    "announcement",
    "event",
    "remote_url",
    "sent_at",
    "metrics_at",
)
_posts = cast(Table, PostRow.__table__)


@dataclass
class Row:
    """One group of posts and what they achieved; ``key`` names the group."""

    key: str
    posts: int = 0
    sent: int = 0
    failed: int = 0
    clicks_humans: int = 0
    clicks_bots: int = 0
    engagement: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(ENGAGEMENT))
    post: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Row) -> None:
        """Add ``other``'s counts to this row (engagement stays ``None`` unless some is known)."""
        self.posts += other.posts
        self.sent += other.sent
        self.failed += other.failed
        self.clicks_humans += other.clicks_humans
        self.clicks_bots += other.clicks_bots
        for name, value in other.engagement.items():
            if value is not None:
                self.engagement[name] = (self.engagement[name] or 0) + value

    @property
    def interactions(self) -> int:
        """Likes, reposts, replies and quotes together (what people did with the post)."""
        return sum(self.engagement[name] or 0 for name in ENGAGEMENT if name != "impressions")

    def to_json(self, by: str) -> dict[str, Any]:
        """The row as ``--json`` and ``--csv`` give it: the group, the counts and, for a
        post, what it was and where it went out."""
        data: dict[str, Any] = {"post_id" if by == "post" else by: self.key}
        data.update(
            posts=self.posts,
            sent=self.sent,
            failed=self.failed,
            clicks_humans=self.clicks_humans,
            clicks_bots=self.clicks_bots,
            **self.engagement,
        )
        if by == "post":
            data.update((name, self.post.get(name)) for name in POST_FIELDS[1:])
        return data


@dataclass(frozen=True)
class Report:
    """The rows of one report, grouped ``by`` one of :data:`GROUPS`, and their total."""

    by: str
    rows: tuple[Row, ...]
    campaigns: tuple[str, ...]

    @property
    def total(self) -> Row:
        """Every row added up."""
        total = Row("total")
        for row in self.rows:
            total.add(row)
        return total

    def fields(self) -> list[str]:
        """The JSON and CSV field names, in order."""
        if self.by == "post":
            return [POST_FIELDS[0], *COUNTS, *POST_FIELDS[1:]]
        return [self.by, *COUNTS]

    def to_json(self) -> list[dict[str, Any]]:
        """One object per row."""
        return [row.to_json(self.by) for row in self.rows]


def campaign_report(
    engine: Engine,
    *,
    campaign: str | None = None,
    event: str | None = None,
    since: date | None = None,
    by: str = "campaign",
) -> Report:
    """What the ledger's posts achieved, grouped ``by`` campaign, event, announcement,
    platform or post; only ``campaign``'s and ``event``'s posts when given, and only posts due
    (and clicks made) from ``since`` on.

    Raises :class:`LedgerError` for an unknown grouping, or a ``campaign`` or ``event`` the
    ledger does not hold (naming those it does).
    """
    if by not in GROUPS:
        raise LedgerError(f"cannot group by {by!r}; use one of: {', '.join(GROUPS)}")
    query = select(_posts).order_by(_posts.c.scheduled_at, _posts.c.platform, _posts.c.thread)
    with engine.connect() as connection:
        known = sorted(connection.execute(select(_posts.c.campaign).distinct()).scalars())
        if campaign is not None:
            must_know("campaign", campaign, known)
            query = query.where(_posts.c.campaign == campaign)
        if event is not None:
            events = select(_posts.c.event).distinct()
            if campaign is not None:
                events = events.where(_posts.c.campaign == campaign)
            must_know("event", event, sorted(connection.execute(events).scalars()))
            query = query.where(_posts.c.event == event)
        if since is not None:
            query = query.where(_posts.c.scheduled_at >= datetime.combine(since, time(), UTC))
        posts = list(connection.execute(query).mappings())
    clicks = {
        p.post_id: p.tally for p in click_report(engine, campaign=campaign, since=since).posts
    }
    readings = latest(engine)
    rows: dict[str, Row] = {}
    for post in posts:
        key = post["id"] if by == "post" else post[by]
        row = rows.setdefault(key, Row(key))
        tally = clicks.get(post["id"])
        reading = readings.get(post["id"])
        row.add(
            Row(
                key,
                posts=1,
                sent=int(post["state"] == SENT),
                failed=int(post["state"] == FAILED),
                clicks_humans=tally.humans if tally else 0,
                clicks_bots=tally.bots if tally else 0,
                engagement=_engagement(reading),
            )
        )
        if by == "post":
            row.post = _post_fields(post, reading)
    return Report(by, tuple(rows.values()), tuple(known))


def _engagement(reading: Snapshot | None) -> dict[str, int | None]:
    """The report's figures from a post's latest reading (all ``None`` without one)."""
    return {name: reading.figures.get(name) if reading else None for name in ENGAGEMENT}


def _post_fields(post: Any, reading: Snapshot | None) -> dict[str, Any]:
    sent_at = post["sent_at"]
    return {
        "platform": post["platform"],
        "announcement": post["announcement"],
        "event": post["event"],
        "remote_url": post["remote_url"],
        "sent_at": sent_at.isoformat() if sent_at else None,
        "metrics_at": reading.at.isoformat() if reading else None,
    }
