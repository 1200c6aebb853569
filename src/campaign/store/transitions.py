"""The daemon's side of the ledger: claiming posts and recording what became of them.

Every move is one transaction guarded by the state it expects (and, once claimed, by the
worker holding the claim), so two daemons on one database can never both publish a post:
:func:`claim` is ``UPDATE … WHERE state = 'scheduled'`` and only the caller whose update
changed a row goes on. Each move writes or closes an ``attempts`` row and logs one line on
logger ``campaign.daemon``.

The functions take a ``ledger`` (anything with an ``engine``, e.g.
:class:`~campaign.store.ledger.Ledger`) and the :class:`QueuedPost` they act on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Engine, Table, and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from campaign.adapters.base import Receipt
from campaign.render.post import post_id
from campaign.store.queued import QueuedPost
from campaign.store.schema import AttemptRow, HeartbeatRow, PostRow
from campaign.store.states import FAILED, MISSED, SCHEDULED, SENDING, SENT, UNKNOWN

log = logging.getLogger("campaign.daemon")

_posts = cast(Table, PostRow.__table__)
_attempts = cast(Table, AttemptRow.__table__)
_beats = cast(Table, HeartbeatRow.__table__)


class HasEngine(Protocol):
    """What these functions need of a ledger."""

    @property
    def engine(self) -> Engine: ...


@dataclass(frozen=True)
class Claim:
    """A post in ``sending``: who claimed it and when (for crash recovery)."""

    post: QueuedPost
    worker: str | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class Heartbeat:
    """A daemon that has worked on this ledger and when it last said it was alive."""

    worker: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    stopped: bool


def _log(level: int, event: str, post: QueuedPost, state: str, message: str, **extra: Any) -> None:
    fields = {"event": event, "post_id": post.id, "platform": post.platform, "state": state}
    log.log(level, message, extra={"fields": {**fields, **extra}})


# --- reads -------------------------------------------------------------------------------


def get(ledger: HasEngine, post_id: str) -> QueuedPost | None:
    """The post with id ``post_id``, or ``None``."""
    with ledger.engine.connect() as connection:
        row = connection.execute(select(_posts).where(_posts.c.id == post_id)).mappings().first()
    return QueuedPost.from_row(row) if row else None


def next_part(ledger: HasEngine, post: QueuedPost) -> QueuedPost | None:
    """The thread part that replies to ``post``, or ``None`` after the last part."""
    if post.thread >= post.thread_size:
        return None
    plan = (post.campaign, post.event, post.announcement, post.platform)
    return get(ledger, post_id(*plan, post.thread + 1))


def _ready(before: datetime) -> Any:
    """Scheduled posts whose time (and retry time, if any) is at or before ``before``."""
    return and_(
        _posts.c.state == SCHEDULED,
        _posts.c.scheduled_at <= before,
        or_(_posts.c.not_before.is_(None), _posts.c.not_before <= before),
    )


def due(ledger: HasEngine, now: datetime, limit: int | None = None) -> list[QueuedPost]:
    """Scheduled posts due at ``now``, oldest first, thread parts in order."""
    query = select(_posts).where(_ready(now)).order_by(_posts.c.scheduled_at, _posts.c.thread)
    with ledger.engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).mappings().all()
    return [QueuedPost.from_row(row) for row in rows]


def upcoming(ledger: HasEngine, until: datetime, limit: int | None = None) -> dict[str, datetime]:
    """Id and due time of the scheduled posts due by ``until``, earliest ``limit`` first.

    The due time is the retry time (``not_before``) when there is one, else the plan's time.
    """
    query = (
        select(_posts.c.id, _posts.c.scheduled_at, _posts.c.not_before)
        .where(_ready(until))
        .order_by(_posts.c.scheduled_at, _posts.c.id)  # the same window every poll
        .limit(limit)
    )
    with ledger.engine.connect() as connection:
        return {
            row.id: max(row.scheduled_at, row.not_before or row.scheduled_at)
            for row in connection.execute(query)
        }


def platforms_due(ledger: HasEngine, until: datetime) -> set[str]:
    """The platforms of the scheduled posts due by ``until`` (to connect before they are)."""
    query = select(_posts.c.platform).where(_ready(until)).distinct()
    with ledger.engine.connect() as connection:
        return set(connection.execute(query).scalars())


def stuck_sending(ledger: HasEngine) -> list[Claim]:
    """Every post in ``sending`` with the worker that claimed it."""
    query = select(_posts).where(_posts.c.state == SENDING).order_by(_posts.c.claimed_at)
    with ledger.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [Claim(QueuedPost.from_row(r), r["claimed_by"], r["claimed_at"]) for r in rows]


# --- moves -------------------------------------------------------------------------------


def claim(ledger: HasEngine, post: QueuedPost, worker: str, now: datetime) -> bool:
    """Move ``post`` from ``scheduled`` to ``sending`` for ``worker``; False if it was not.

    The conditional update is the lock: of two daemons racing for one post, exactly one
    sees a changed row. A post whose retry time is still ahead is not claimed either.
    """
    with ledger.engine.begin() as connection:
        changed = connection.execute(
            update(_posts)
            .where(_posts.c.id == post.id, _ready(now))
            .values(state=SENDING, claimed_by=worker, claimed_at=now, updated_at=now)
        ).rowcount
        if changed != 1:
            return False
        connection.execute(insert(_attempts).values(post_id=post.id, worker=worker, started_at=now))
    _log(logging.INFO, "claimed", post, SENDING, "publishing", worker=worker, thread=post.thread)
    return True


def take_over(ledger: HasEngine, stuck: Claim, worker: str, now: datetime) -> bool:
    """Make ``worker`` the holder of a post a dead worker left in ``sending``.

    Conditional on the dead worker still holding it, so only one daemon recovers it.
    """
    holder = _posts.c.claimed_by
    held = holder.is_(None) if stuck.worker is None else holder == stuck.worker
    with ledger.engine.begin() as connection:
        changed = connection.execute(
            update(_posts)
            .where(_posts.c.id == stuck.post.id, _posts.c.state == SENDING, held)
            .values(claimed_by=worker, claimed_at=now, updated_at=now)
        ).rowcount
    if changed == 1:
        _log(
            logging.WARNING,
            "recovering",
            stuck.post,
            SENDING,
            f"left in sending by {stuck.worker}, which is gone; looking for it on the platform",
            worker=worker,
        )
    return changed == 1


def _finish(
    connection: Connection,
    post: QueuedPost,
    worker: str,
    now: datetime,
    values: dict[str, Any],
    outcome: str,
    error: str | None,
) -> bool:
    """Move a post ``worker`` holds out of ``sending`` and close its open attempt."""
    changed = connection.execute(
        update(_posts)
        .where(_posts.c.id == post.id, _posts.c.state == SENDING, _posts.c.claimed_by == worker)
        .values(claimed_by=None, claimed_at=None, updated_at=now, **values)
    ).rowcount
    if changed != 1:
        _log(
            logging.ERROR,
            "claim_lost",
            post,
            SENDING,
            f"no longer held by {worker}; its outcome ({outcome}) was not recorded here",
        )
        return False
    connection.execute(
        update(_attempts)
        .where(_attempts.c.post_id == post.id, _attempts.c.finished_at.is_(None))
        .values(finished_at=now, outcome=outcome, error=error)
    )
    return True


def mark_sent(
    ledger: HasEngine,
    post: QueuedPost,
    worker: str,
    now: datetime,
    receipt: Receipt,
    found: bool = False,
) -> bool:
    """Record ``post`` as published with ``receipt`` (``found``: by a look-back)."""
    values = {
        "state": SENT,
        "remote_id": receipt.remote_id,
        "remote_url": receipt.url,
        "sent_at": now,
        "last_error": None,
    }
    outcome = "found" if found else "sent"
    with ledger.engine.begin() as connection:
        done = _finish(connection, post, worker, now, values, outcome, None)
    if done:
        how = "found on the platform by look-back" if found else "published"
        _log(logging.INFO, "sent", post, SENT, how, remote_id=receipt.remote_id, url=receipt.url)
    return done


def reschedule(
    ledger: HasEngine,
    post: QueuedPost,
    worker: str,
    now: datetime,
    not_before: datetime,
    error: str,
    counts: bool = True,
) -> bool:
    """Put ``post`` back to ``scheduled``, not to be tried before ``not_before``.

    ``counts`` adds one to the post's failed attempts (a retryable error); a rate limit is
    the account's, not the post's, and does not count.
    """
    values = {
        "state": SCHEDULED,
        "not_before": not_before,
        "last_error": error,
        "attempts": _posts.c.attempts + (1 if counts else 0),
    }
    outcome = "retry" if counts else "rate_limited"
    with ledger.engine.begin() as connection:
        done = _finish(connection, post, worker, now, values, outcome, error)
    if done:
        _log(
            logging.WARNING,
            outcome,
            post,
            SCHEDULED,
            f"{error}; next try at {not_before.isoformat(timespec='seconds')}",
            not_before=not_before.isoformat(),
            attempts=post.attempts + (1 if counts else 0),
        )
    return done


def mark_failed(
    ledger: HasEngine, post: QueuedPost, worker: str, now: datetime, error: str
) -> bool:
    """Record that ``post`` cannot be published (``error`` says what a person should do)."""
    values = {"state": FAILED, "last_error": error, "attempts": _posts.c.attempts + 1}
    with ledger.engine.begin() as connection:
        done = _finish(connection, post, worker, now, values, "failed", error)
    if done:
        _log(logging.ERROR, "failed", post, FAILED, error, attempts=post.attempts + 1)
    return done


def mark_unknown(
    ledger: HasEngine, post: QueuedPost, worker: str, now: datetime, error: str
) -> bool:
    """Record that ``post`` may or may not be on its platform: a person must look."""
    values = {"state": UNKNOWN, "last_error": error}
    with ledger.engine.begin() as connection:
        done = _finish(connection, post, worker, now, values, "unknown", error)
    if done:
        _log(
            logging.ERROR,
            "unknown",
            post,
            UNKNOWN,
            f"{error}; check the account, then run 'campaign resolve {post.id}'",
        )
    return done


def mark_missed(ledger: HasEngine, post: QueuedPost, now: datetime, reason: str) -> bool:
    """Record that ``post``'s time passed by more than the grace window without it going out.

    Only from ``scheduled``; logged at ERROR so that nobody learns of it days later.
    """
    with ledger.engine.begin() as connection:
        changed = connection.execute(
            update(_posts)
            .where(_posts.c.id == post.id, _posts.c.state == SCHEDULED)
            .values(state=MISSED, last_error=reason, updated_at=now)
        ).rowcount
        if changed == 1:
            connection.execute(
                insert(_attempts).values(
                    post_id=post.id,
                    worker="",
                    started_at=now,
                    finished_at=now,
                    outcome="missed",
                    error=reason,
                )
            )
    if changed == 1:
        _log(
            logging.ERROR,
            "missed",
            post,
            MISSED,
            f"{reason}; not published. To publish it anyway: campaign retry {post.id}",
            scheduled_at=post.scheduled_at.isoformat(),
        )
    return changed == 1


# --- heartbeats --------------------------------------------------------------------------


def beat(ledger: HasEngine, worker: str, host: str, pid: int, now: datetime) -> None:
    """Say that ``worker`` is alive at ``now`` (creating its row on the first beat)."""
    with ledger.engine.begin() as connection:
        changed = connection.execute(
            update(_beats).where(_beats.c.worker == worker).values(beat_at=now, stopped=False)
        ).rowcount
        if changed == 0:
            connection.execute(
                insert(_beats).values(
                    worker=worker, host=host, pid=pid, started_at=now, beat_at=now, stopped=False
                )
            )


def stop(ledger: HasEngine, worker: str, now: datetime) -> None:
    """Record that ``worker`` exited cleanly (so it is not taken for a crashed one)."""
    with ledger.engine.begin() as connection:
        connection.execute(
            update(_beats).where(_beats.c.worker == worker).values(beat_at=now, stopped=True)
        )


def heartbeats(ledger: HasEngine) -> list[Heartbeat]:
    """Every worker that has beaten on this ledger, most recent first."""
    query = select(_beats).order_by(_beats.c.beat_at.desc())
    with ledger.engine.connect() as connection:
        return [Heartbeat(**row) for row in connection.execute(query).mappings()]
