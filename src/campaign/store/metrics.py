"""Readings of sent posts' public figures: which posts are due for one, and the latest of each.

The daemon reads a post's figures at fixed ages after it went out (by default 1 h, 24 h and
7 days). A post is due for the largest age it has reached when no reading stands for that age
or a later one yet, so a daemon that was stopped for a week takes one reading for "7 d", not
three late ones. Every reading is a row of ``post_metrics``
(:class:`~campaign.store.schema.MetricRow`); the report and the web pages show the latest one
that has figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, exists, func, insert, or_, select

from campaign.store.engine import reading
from campaign.store.schema import MetricRow, PostRow
from campaign.store.states import SENT
from campaign.store.worker import due_by

READ = "read"
UNAVAILABLE = "unavailable"
FAILED = "failed"
FIGURES = ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions")

_posts = cast(Table, PostRow.__table__)
_metrics = cast(Table, MetricRow.__table__)
_CHUNK = 500  # ids per IN (…), well under every backend's limit on bound parameters


@dataclass(frozen=True)
class Due:
    """A sent post due for a reading: where it is, and the age the reading stands for."""

    post_id: str
    platform: str
    remote_id: str
    sent_at: datetime
    age: timedelta


@dataclass(frozen=True)
class Snapshot:
    """One reading of one post: ``figures`` by name (``None``: the platform gave none)."""

    post_id: str
    age: timedelta
    at: datetime
    outcome: str = READ
    figures: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(FIGURES))
    note: str | None = None


def due(
    engine: Engine,
    now: datetime,
    ages: Sequence[timedelta],
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 1000,
) -> list[Due]:
    """Up to ``limit`` sent posts due for a reading at ``now``, oldest sent first, from after
    ``after`` (the ``(sent_at, post_id)`` of the last one of the previous page)."""
    if not ages:
        return []
    reached = [
        and_(
            _posts.c.sent_at <= now - age,
            ~exists().where(
                _metrics.c.post_id == _posts.c.id, _metrics.c.age_seconds >= _seconds(age)
            ),
        )
        for age in ages
    ]
    query = (
        select(_posts.c.id, _posts.c.platform, _posts.c.remote_id, _posts.c.sent_at)
        .where(_posts.c.state == SENT, _posts.c.remote_id.is_not(None), or_(*reached))
        .order_by(_posts.c.sent_at, _posts.c.id)
        .limit(limit)
    )
    if after is not None:
        sent_at, post_id = after
        query = query.where(
            or_(
                _posts.c.sent_at > sent_at,
                and_(_posts.c.sent_at == sent_at, _posts.c.id > post_id),
            )
        )
    with reading(engine) as connection:
        rows = connection.execute(query).all()
    return [
        Due(row.id, row.platform, row.remote_id, row.sent_at, _reached(row.sent_at, now, ages))
        for row in rows
    ]


def record(engine: Engine, snapshots: Iterable[Snapshot]) -> None:
    """Store ``snapshots`` in one transaction."""
    rows = [_row(snapshot) for snapshot in snapshots]
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(_metrics), rows)


def latest(engine: Engine, post_ids: Sequence[str] | None = None) -> dict[str, Snapshot]:
    """The latest reading with figures of each post (of ``post_ids`` only, when given)."""
    newest = select(func.max(_metrics.c.id)).where(_metrics.c.outcome == READ)
    found: dict[str, Snapshot] = {}
    with reading(engine) as connection:
        chunks = [None] if post_ids is None else _chunks(post_ids)
        for chunk in chunks:
            ids = newest if chunk is None else newest.where(_metrics.c.post_id.in_(chunk))
            query = select(_metrics).where(_metrics.c.id.in_(ids.group_by(_metrics.c.post_id)))
            for row in connection.execute(query).mappings():
                found[row["post_id"]] = _snapshot(row)
    return found


def publishing_soon(engine: Engine, platform: str, until: datetime) -> bool:
    """Whether a scheduled post of ``platform`` is due by ``until`` (a read waits for it)."""
    ready = and_(due_by(until), _posts.c.platform == platform)
    with reading(engine) as connection:
        return connection.execute(select(_posts.c.id).where(ready).limit(1)).first() is not None


def _reached(sent_at: datetime, now: datetime, ages: Sequence[timedelta]) -> timedelta:
    """The largest of ``ages`` a post sent at ``sent_at`` has reached at ``now``."""
    return max(age for age in ages if sent_at + age <= now)


def _seconds(age: timedelta) -> int:
    return int(age.total_seconds())


def _row(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "post_id": snapshot.post_id,
        "age_seconds": _seconds(snapshot.age),
        "at": snapshot.at,
        "outcome": snapshot.outcome,
        "note": snapshot.note,
        **{name: snapshot.figures.get(name) for name in FIGURES},
    }


def _snapshot(row: Any) -> Snapshot:
    return Snapshot(
        post_id=row["post_id"],
        age=timedelta(seconds=row["age_seconds"]),
        at=row["at"],
        outcome=row["outcome"],
        figures={name: row[name] for name in FIGURES},
        note=row["note"],
    )


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
