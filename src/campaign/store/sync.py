"""Make the ledger match a plan: the heart of ``campaign schedule``.

Rules, applied in one transaction (all or nothing), by post id:

- a new post is added as ``scheduled``, or as ``missed`` when its time is already past by
  more than the grace window (it is never silently dropped nor silently posted late);
- a post whose plan changed (text, time, media, links, thread size or zone) is updated in
  place when it is ``scheduled``, ``failed`` or ``missed``, and is then scheduled again (or
  missed, by the same grace rule); a changed ``cancelled`` post is updated but stays
  cancelled (``campaign retry`` brings it back);
- an unsent post whose only change is its language (its campaign gained ``languages:``)
  takes the new language and nothing else;
- a post that is ``sending``, ``sent`` or ``unknown`` may exist on its platform: it is never
  changed, and when its plan changed it is reported as a conflict;
- a post of the same campaign(s) that is no longer planned is cancelled with ``prune`` (when
  still ``scheduled``, ``failed`` or ``missed``) and otherwise reported as orphaned;
- a post that ``prune`` cancelled and that is planned again (its announcement is back in
  the file) is restored: scheduled again when its time is still to come.

Changes are found by comparing one digest per post, and written with bulk statements. The
bytes of the posts' images are stored in the same transaction (:mod:`campaign.store.media`),
so a queued post never depends on the folder it was scheduled from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Executable, Table, bindparam, insert, select, update

from campaign.errors import LedgerError
from campaign.render.post import Post
from campaign.store import history, states
from campaign.store.media import media_entries, store_images
from campaign.store.schema import PostRow

posts_table = cast(Table, PostRow.__table__)
CHUNK = 500
# Rows written per executemany: keeps memory flat however large the plan.
WRITE_BATCH = 5_000
_INSERT = insert(posts_table)
_UPDATE = update(posts_table).where(posts_table.c.id == bindparam("b_id"))
PRUNED = "no longer planned (schedule --prune)"


@dataclass(frozen=True)
class SyncReport:
    """What one sync did, as post ids per outcome; the lists do not overlap.

    ``added`` and ``updated`` hold posts now scheduled (``updated`` also holds changed posts
    that stay cancelled), ``missed`` those added or updated as missed because their time had
    passed, ``conflicts`` the posts that may already be published but whose plan changed,
    ``orphaned`` the unsent posts no longer planned that ``prune`` would cancel, ``restored``
    the posts ``prune`` had cancelled that are planned again and now scheduled.
    """

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    orphaned: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()

    def to_json(self) -> dict[str, list[str]]:
        """The report as ``campaign schedule --json`` prints it."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}


def plan_digest(post: Post) -> str:
    """A digest of everything that, if changed, makes the ledger's copy of ``post`` stale.

    Images count by their bytes (SHA-256) and alt text, not their path: moving the media
    folder changes nothing, editing an image in place is a change. Migration ``0004_media``
    computes the same digest for the posts of older ledgers.
    """
    parts = [
        post.text,
        post.scheduled_at.isoformat(),
        post.timezone,
        str(post.thread_size),
        str(len(post.links)),
        *post.links,
        *(f"{m.sha256}\x1e{m.alt}" for m in post.media),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def sync_posts(
    connection: Connection,
    posts: Sequence[Post],
    *,
    prune: bool,
    now: datetime,
    grace: timedelta,
) -> SyncReport:
    """Apply the rules above on ``connection``, inside the caller's transaction.

    Raises :class:`~campaign.errors.LedgerError` when two posts share an id (before writing).
    """
    planned = _unique(posts)
    if connection.dialect.name == "postgresql":
        # Hold off the daemon's claims (row writes) while we compare and write; reads go on.
        connection.exec_driver_sql("LOCK TABLE posts IN SHARE ROW EXCLUSIVE MODE")
    store_images(connection, planned.values(), now)
    existing = _existing(connection, {post.campaign for post in planned.values()})
    pruned = _pruned(
        connection,
        [pid for pid, post in planned.items() if _state(existing, pid) == states.CANCELLED],
    )
    late = now - grace
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    # Posts whose only change is their language (a campaign that gained ``languages:``).
    relabelled: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    report: dict[str, list[str]] = {f.name: [] for f in fields(SyncReport)}
    for post_id, post in planned.items():
        digest = plan_digest(post)
        current = existing.get(post_id)
        if current is None:
            state = states.MISSED if post.scheduled_at < late else states.SCHEDULED
            added.append(_new_row(post, digest, state, now, grace))
            if len(added) == WRITE_BATCH:
                _flush(connection, _INSERT, added)
            report["missed" if state == states.MISSED else "added"].append(post_id)
            states.log_change(post_id, None, state, "planned")
            events.append(history.change(post_id, None, state, now, reason="planned"))
        elif post_id in pruned and post.scheduled_at > now:
            changed.append(_changed_row(post, digest, states.SCHEDULED, now, grace))
            report["restored"].append(post_id)
            states.log_change(post_id, current[0], states.SCHEDULED, "planned again")
            why = "planned again after schedule --prune cancelled it"
            events.append(history.change(post_id, current[0], states.SCHEDULED, now, reason=why))
        elif current[1] == digest:
            report["unchanged"].append(post_id)
            if current[2] != post.language and current[0] not in states.MAYBE_PUBLISHED:
                relabelled.append({"b_id": post_id, "language": post.language})
        elif current[0] in states.MAYBE_PUBLISHED:
            report["conflicts"].append(post_id)
        else:
            state = _state_after_change(current[0], post, late)
            changed.append(_changed_row(post, digest, state, now, grace))
            if len(changed) == WRITE_BATCH:
                _flush(connection, _UPDATE, changed)
            report["missed" if state == states.MISSED else "updated"].append(post_id)
            if state != current[0]:
                states.log_change(post_id, current[0], state, "plan changed")
            events.append(history.change(post_id, current[0], state, now, reason="plan changed"))
        if len(events) >= WRITE_BATCH:
            history.record(connection, events)
            events.clear()
    gone = [pid for pid in existing if pid not in planned]
    stale = [pid for pid in gone if existing[pid][0] in states.PLANNABLE]
    _flush(connection, _INSERT, added)
    _flush(connection, _UPDATE, changed)
    _flush(connection, _UPDATE, relabelled)
    if prune:
        for chunk in _chunks(stale):
            connection.execute(
                update(posts_table)
                .where(posts_table.c.id.in_(chunk))
                .values(state=states.CANCELLED, updated_at=now)
            )
        for pid in stale:
            states.log_change(pid, existing[pid][0], states.CANCELLED, "no longer planned")
            events.append(
                history.change(pid, existing[pid][0], states.CANCELLED, now, reason=PRUNED)
            )
        report["cancelled"] = stale
    else:
        report["orphaned"] = stale
    history.record(connection, events)
    return SyncReport(**{name: tuple(ids) for name, ids in report.items()})


def _flush(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` once for all ``rows`` (one executemany), then empty the list."""
    if rows:
        connection.execute(statement, rows)
        rows.clear()


def _unique(posts: Sequence[Post]) -> dict[str, Post]:
    planned: dict[str, Post] = {}
    for post in posts:
        if post.id in planned:
            raise LedgerError(
                f"two planned posts share the id {post.id} ({post.source or post.campaign}); "
                "each event, announcement and platform may appear once per campaign"
            )
        planned[post.id] = post
    return planned


def _existing(
    connection: Connection, campaigns: set[str]
) -> dict[str, tuple[str, str, str | None]]:
    """State, digest and language of every post of ``campaigns`` already in the ledger, by
    id."""
    found: dict[str, tuple[str, str, str | None]] = {}
    columns = (posts_table.c.state, posts_table.c.digest, posts_table.c.language)
    for chunk in _chunks(sorted(campaigns)):
        query = select(posts_table.c.id, *columns).where(posts_table.c.campaign.in_(chunk))
        found.update((row[0], (row[1], row[2], row[3])) for row in connection.execute(query))
    return found


def _state(existing: dict[str, tuple[str, str, str | None]], post_id: str) -> str | None:
    """The ledger's state of ``post_id``, ``None`` when it is not there."""
    found = existing.get(post_id)
    return found[0] if found else None


def _pruned(connection: Connection, post_ids: Sequence[str]) -> set[str]:
    """Those of the cancelled ``post_ids`` that ``schedule --prune`` cancelled (by their
    history's last change)."""
    found: set[str] = set()
    for chunk in _chunks(post_ids):
        found.update(
            pid
            for pid, reason in history.last_reasons(connection, chunk).items()
            if reason == PRUNED
        )
    return found


def _state_after_change(current: str, post: Post, late: datetime) -> str:
    if current == states.CANCELLED:
        return current
    return states.MISSED if post.scheduled_at < late else states.SCHEDULED


def _plan_values(
    post: Post, digest: str, state: str, now: datetime, grace: timedelta
) -> dict[str, Any]:
    return {
        "state": state,
        "scheduled_at": post.scheduled_at,
        "not_before": None,
        "timezone": post.timezone,
        "language": post.language,
        "text": post.text,
        "media": media_entries(post),
        "links": list(post.links),
        "thread_size": post.thread_size,
        "digest": digest,
        "source": post.source,
        "last_error": _missed_reason(post, grace) if state == states.MISSED else None,
        "updated_at": now,
    }


def _new_row(
    post: Post, digest: str, state: str, now: datetime, grace: timedelta
) -> dict[str, Any]:
    return {
        "id": post.id,
        "campaign": post.campaign,
        "event": post.event,
        "announcement": post.announcement,
        "platform": post.platform,
        "thread": post.thread,
        "previous_id": post.previous_id,
        "root_id": post.root_id,
        "attempts": 0,
        "remote_id": None,
        "remote_url": None,
        "claimed_by": None,
        "claimed_at": None,
        "sent_at": None,
        "created_at": now,
        **_plan_values(post, digest, state, now, grace),
    }


def _changed_row(
    post: Post, digest: str, state: str, now: datetime, grace: timedelta
) -> dict[str, Any]:
    return {"b_id": post.id, **_plan_values(post, digest, state, now, grace)}


def _missed_reason(post: Post, grace: timedelta) -> str:
    minutes = grace.total_seconds() / 60
    return (
        f"missed: planned for {post.scheduled_at:%Y-%m-%d %H:%M} UTC, more than {minutes:g} "
        f"minutes before it was scheduled; run `campaign retry {post.id}` to send it anyway, "
        "or give it a later time and schedule again"
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
