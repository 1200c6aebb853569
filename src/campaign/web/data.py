"""What the calendar reads: ledger posts in a time range, their clicks and history, and the
posts the campaign files plan but the ledger does not hold yet."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Select, Table, func, select

from campaign.render.planner import plan_files
from campaign.render.post import Post
from campaign.store.queued import QueuedPost
from campaign.store.schema import ClickRow, PostRow, ShortLinkRow
from campaign.web.model import Entry, from_ledger

_posts = cast(Table, PostRow.__table__)
_links = cast(Table, ShortLinkRow.__table__)
_clicks = cast(Table, ClickRow.__table__)
FILTERS = ("campaign", "event", "platform", "language", "state")
# The filters that are one column of a thread's first part (the state speaks for the thread).
_COLUMNS = ("campaign", "event", "platform", "language")


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the view to; an empty value means everything."""

    campaign: str = ""
    event: str = ""
    platform: str = ""
    language: str = ""
    state: str = ""

    def keeps(self, values: dict[str, str]) -> bool:
        """Whether a post with these field ``values`` passes every filter set."""
        return all(not want or values[name] == want for name, want in self.as_dict().items())

    def as_dict(self) -> dict[str, str]:
        """The filters by name (for links that keep them)."""
        return {name: getattr(self, name) for name in FILTERS}


def ledger_posts(engine: Engine, filters: Filters) -> list[QueuedPost]:
    """Every post passing ``filters``, in time order (the calendar feed and export).

    A thread's later parts come along with its first part.
    """
    query = select(_posts).order_by(_posts.c.scheduled_at, _posts.c.thread)
    firsts = select(_posts.c.root_id).where(_posts.c.thread == 1)
    for name in _COLUMNS:
        if value := getattr(filters, name):
            firsts = firsts.where(_posts.c[name] == value)
    query = query.where(_posts.c.root_id.in_(firsts))
    with engine.connect() as connection:
        posts = [QueuedPost.from_row(row) for row in connection.execute(query).mappings()]
    if filters.state:
        roots = {post.root_id for post in posts if post.state == filters.state}
        posts = [post for post in posts if post.root_id in roots]
    return posts


def by_day(
    engine: Engine, filters: Filters, edges: Sequence[datetime], cap: int
) -> list[tuple[list[Entry], int]]:
    """For each day from ``edges[i]`` to ``edges[i + 1]`` (UTC instants of local midnights),
    its first ``cap`` entries in time order and how many it has in all.

    Each day is one count and one ``LIMIT cap`` query on the ``scheduled_at`` index, so a
    month of 10,000 posts costs the rows shown, not the rows held.
    """
    firsts = _filtered(select(_posts.c.root_id), replace(filters, state=""))
    firsts = firsts.where(_posts.c.thread == 1)
    if filters.state:
        with_state = select(_posts.c.root_id).where(_posts.c.state == filters.state)
        firsts = firsts.where(_posts.c.root_id.in_(with_state))
    counted = firsts.with_only_columns(func.count())
    listed = firsts.order_by(_posts.c.scheduled_at, _posts.c.platform, _posts.c.root_id)
    totals: list[int] = []
    roots: dict[str, int] = {}
    with engine.connect() as connection:
        for number, (start, end) in enumerate(itertools.pairwise(edges)):
            within = (_posts.c.scheduled_at >= start, _posts.c.scheduled_at < end)
            totals.append(connection.execute(counted.where(*within)).scalar_one())
            if totals[-1]:
                for root_id in connection.execute(listed.where(*within).limit(cap)).scalars():
                    roots[root_id] = number
        parts = select(_posts).where(_posts.c.root_id.in_(list(roots))).order_by(_posts.c.thread)
        posts = [QueuedPost.from_row(row) for row in connection.execute(parts).mappings()]
    cells: list[tuple[list[Entry], int]] = [([], total) for total in totals]
    for entry in from_ledger(posts):
        cells[roots[entry.id]][0].append(entry)
    return cells


def first_posts(engine: Engine, filters: Filters, now: datetime) -> list[Entry]:
    """The next post from ``now`` passing ``filters``, else the last one before it (for the
    view's default day and zone), as an entry; empty when there is none."""
    upcoming = _filtered(select(_posts), filters).where(_posts.c.scheduled_at >= now)
    upcoming = upcoming.order_by(_posts.c.scheduled_at).limit(1)
    latest = _filtered(select(_posts), filters).order_by(_posts.c.scheduled_at.desc()).limit(1)
    with engine.connect() as connection:
        for query in (upcoming, latest):
            row = connection.execute(query).mappings().first()
            if row is not None:
                return from_ledger([QueuedPost.from_row(row)])
    return []


def thread(engine: Engine, root_id: str) -> list[QueuedPost]:
    """Every part of the thread (or the single post) whose first part is ``root_id``."""
    query = select(_posts).where(_posts.c.root_id == root_id).order_by(_posts.c.thread)
    with engine.connect() as connection:
        return [QueuedPost.from_row(row) for row in connection.execute(query).mappings()]


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    for name in (*_COLUMNS, "state"):
        if value := getattr(filters, name):
            query = query.where(_posts.c[name] == value)
    return query


def known_values(engine: Engine, start: datetime, end: datetime) -> dict[str, list[str]]:
    """The campaigns, platforms and languages the ledger holds, and the events with posts
    from ``start`` to ``end``, for the filter menus (a menu of every event ever would not fit
    a screen)."""
    events = select(_posts.c.event).distinct()
    events = events.where(_posts.c.scheduled_at >= start, _posts.c.scheduled_at < end)
    languages = select(_posts.c.language).distinct().where(_posts.c.language.is_not(None))
    with engine.connect() as connection:
        return {
            "campaign": sorted(connection.execute(select(_posts.c.campaign).distinct()).scalars()),
            "event": sorted(connection.execute(events).scalars()),
            "platform": sorted(connection.execute(select(_posts.c.platform).distinct()).scalars()),
            "language": sorted(connection.execute(languages).scalars()),
        }


def ledger_ids(engine: Engine, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` the ledger holds."""
    found: set[str] = set()
    with engine.connect() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(_posts.c.id).where(_posts.c.id.in_(chunk))
            found.update(connection.execute(query).scalars())
    return found


def clicks_by_post(engine: Engine, post_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(people, bots) clicks on the short links of each of ``post_ids`` that has any."""
    if not post_ids:
        return {}
    query = (
        select(_links.c.post_id, _clicks.c.is_bot, func.sum(_clicks.c.hits))
        .join(_clicks, _clicks.c.code == _links.c.code)
        .where(_links.c.post_id.in_(list(post_ids)))
        .group_by(_links.c.post_id, _clicks.c.is_bot)
    )
    counts: dict[str, list[int]] = {}
    with engine.connect() as connection:
        for post_id, is_bot, count in connection.execute(query):
            counts.setdefault(post_id, [0, 0])[1 if is_bot else 0] += count
    return {post_id: (people, bots) for post_id, (people, bots) in counts.items()}


def planned_posts(paths: Sequence[Path]) -> list[Post]:
    """Every post the campaign files at ``paths`` plan, read afresh so edits show at once.

    Raises :class:`~campaign.errors.InvalidCampaign` as planning does when a file is wrong.
    """
    return plan_files(paths) if paths else []
