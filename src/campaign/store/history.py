"""Each post's history: every change of its state, with when, which worker, why and any
error. Written in the same transaction as the change itself, by planning (``campaign
schedule``), by a person's moves (cancel, retry, resolve) and by the daemon's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select

from campaign.store.schema import PostEventRow

_events = cast(Table, PostEventRow.__table__)
_RECORD = insert(_events)


@dataclass(frozen=True)
class Change:
    """One change of one post's state (``old`` is ``None`` when the post was first planned)."""

    at: datetime
    old: str | None
    new: str
    worker: str | None
    reason: str
    error: str | None


def change(
    post_id: str,
    old: str | None,
    new: str,
    at: datetime,
    *,
    worker: str | None = None,
    reason: str = "",
    error: str | None = None,
) -> dict[str, Any]:
    """One history row, ready for :func:`record`."""
    return {
        "post_id": post_id,
        "at": at,
        "old_state": old,
        "new_state": new,
        "worker": worker,
        "reason": reason,
        "error": error,
    }


def record(connection: Connection, changes: Sequence[dict[str, Any]]) -> None:
    """Write ``changes`` (rows made by :func:`change`) inside the caller's transaction."""
    if changes:
        connection.execute(_RECORD, list(changes))


def last_reasons(connection: Connection, post_ids: Sequence[str]) -> dict[str, str]:
    """Why each of ``post_ids`` (with a history) last changed state, by post id."""
    latest = (
        select(func.max(_events.c.id))
        .where(_events.c.post_id.in_(post_ids))
        .group_by(_events.c.post_id)
        .scalar_subquery()
    )
    query = select(_events.c.post_id, _events.c.reason).where(_events.c.id.in_(latest))
    return {row.post_id: row.reason for row in connection.execute(query)}


def history(engine: Engine, post_id: str) -> list[Change]:
    """Every change of ``post_id``'s state, oldest first."""
    query = select(_events).where(_events.c.post_id == post_id).order_by(_events.c.id)
    with engine.connect() as connection:
        return [
            Change(r["at"], r["old_state"], r["new_state"], r["worker"], r["reason"], r["error"])
            for r in connection.execute(query).mappings()
        ]
