"""Click counts per post, platform, announcement and day, people and bots apart.

Every short link appears, even with no click yet, so a report also shows which posts did
not bring anyone. Days are UTC dates; ``since`` counts clicks from that day's midnight UTC.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from campaign.errors import LedgerError
from campaign.store.schema import ClickRow, PostRow, ShortLinkRow


@dataclass(frozen=True)
class Tally:
    """Clicks by people and by bots."""

    humans: int = 0
    bots: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.humans + other.humans, self.bots + other.bots)

    @property
    def total(self) -> int:
        """Every click, people and bots."""
        return self.humans + self.bots


@dataclass(frozen=True)
class PostClicks:
    """The clicks on every short link of one post, in total and per UTC day."""

    campaign: str
    post_id: str
    platform: str
    announcement: str
    tally: Tally
    days: dict[date, Tally] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The row ``campaign links report --json`` prints for this post."""
        return {
            "campaign": self.campaign,
            "post_id": self.post_id,
            "platform": self.platform,
            "announcement": self.announcement,
            "humans": self.tally.humans,
            "bots": self.tally.bots,
            "days": {
                day.isoformat(): {"humans": t.humans, "bots": t.bots}
                for day, t in sorted(self.days.items())
            },
        }


@dataclass(frozen=True)
class ClickReport:
    """One row per post with short links, plus the totals the terminal view shows."""

    posts: tuple[PostClicks, ...]

    def by(self, key: Callable[[PostClicks], str]) -> dict[str, Tally]:
        """Totals grouped by ``key`` (e.g. platform or announcement), largest first."""
        totals: defaultdict[str, Tally] = defaultdict(Tally)
        for post in self.posts:
            totals[key(post)] += post.tally
        return dict(sorted(totals.items(), key=lambda item: (-item[1].total, item[0])))

    def by_day(self) -> dict[date, Tally]:
        """Totals per UTC day, in date order."""
        totals: defaultdict[date, Tally] = defaultdict(Tally)
        for post in self.posts:
            for day, tally in post.days.items():
                totals[day] += tally
        return dict(sorted(totals.items()))

    @property
    def total(self) -> Tally:
        """Every click in the report."""
        return sum((post.tally for post in self.posts), Tally())

    def to_json(self) -> list[dict[str, Any]]:
        """The rows of ``--json``: one object per post."""
        return [post.to_json() for post in self.posts]


def _click_day(engine: Engine) -> ColumnElement[Any]:
    """The UTC date of a click, computed by the database."""
    if engine.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", ClickRow.at))
    return func.date(ClickRow.at)  # SQLite keeps the UTC time as text


def click_report(
    engine: Engine, *, campaign: str | None = None, since: date | None = None
) -> ClickReport:
    """Count the clicks in the ledger, optionally for one ``campaign`` and from ``since`` on.

    Raises :class:`LedgerError` for a ``campaign`` the ledger does not hold, naming those it
    does.
    """
    if campaign is not None:
        held = select(PostRow.campaign).union(select(ShortLinkRow.campaign))
        with engine.connect() as connection:
            must_know("campaign", campaign, sorted(connection.execute(held).scalars()))
    join_on = ClickRow.code == ShortLinkRow.code
    if since is not None:
        join_on = and_(join_on, ClickRow.at >= datetime.combine(since, time(), UTC))
    day = _click_day(engine).label("day")
    keys = (
        ShortLinkRow.campaign,
        ShortLinkRow.post_id,
        ShortLinkRow.platform,
        ShortLinkRow.announcement,
    )
    query = (
        select(*keys, day, ClickRow.is_bot, func.coalesce(func.sum(ClickRow.hits), 0))
        .select_from(ShortLinkRow)
        .outerjoin(ClickRow, join_on)
        .group_by(*keys, day, ClickRow.is_bot)
    )
    if campaign is not None:
        query = query.where(ShortLinkRow.campaign == campaign)
    with engine.connect() as connection:
        rows = connection.execute(query).all()

    counts: defaultdict[tuple[str, str, str, str], Counter[tuple[date, bool]]] = defaultdict(
        Counter
    )
    for camp, post_id, platform, announcement, day_value, is_bot, count in rows:
        per_post = counts[(camp, post_id, platform, announcement)]
        if count:
            per_post[(_as_date(day_value), bool(is_bot))] += count
    posts = []
    for (camp, post_id, platform, announcement), per_day in sorted(
        counts.items(), key=lambda item: (item[0][0], item[0][3], item[0][2], item[0][1])
    ):
        days: defaultdict[date, Tally] = defaultdict(Tally)
        for (day_value, is_bot), count in per_day.items():
            days[day_value] += Tally(bots=count) if is_bot else Tally(humans=count)
        tally = sum(days.values(), Tally())
        posts.append(PostClicks(camp, post_id, platform, announcement, tally, dict(days)))
    return ClickReport(tuple(posts))


def must_know(what: str, given: str, known: Iterable[str]) -> None:
    """Raise :class:`LedgerError` unless ``given`` is one of ``known``, naming them all."""
    names = list(known)
    if given not in names:
        listed = ", ".join(names) if names else "none yet: run `campaign schedule` first"
        raise LedgerError(f"the ledger has no {what} {given!r}; it has: {listed}")


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
