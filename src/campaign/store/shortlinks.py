"""The short links a plan carries, stored in the ledger so the redirector can answer them.

:meth:`campaign.store.ledger.Ledger.sync` calls :func:`register` with the posts it queues,
inside its own transaction. Storing is an idempotent upsert: scheduling the same plan again
stores nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaign.errors import LedgerError
from campaign.render.post import Post
from campaign.store.schema import ShortLinkRow
from campaign.tagging.tracking import TrackedLink

_CHUNK = 500

Bind = Engine | Connection | Session


@dataclass(frozen=True)
class ShortLink:
    """A short code, the one URL it redirects to, and the post that carries it."""

    code: str
    target: str
    post_id: str
    platform: str
    campaign: str
    announcement: str


def short_links_of(posts: Iterable[Post]) -> list[ShortLink]:
    """The short links of ``posts``, read from ``Post.extra["tracked_links"]``.

    That entry is a sequence of :class:`~campaign.tagging.tracking.TrackedLink`; links
    without a code (tagged but not shortened) are skipped. Raises
    :class:`~campaign.errors.LedgerError` for a placeholder short link (planned without a
    key): such a post must never be queued.
    """
    links: list[ShortLink] = []
    for post in posts:
        tracked: Sequence[TrackedLink] = post.extra.get("tracked_links", ())
        if any(link.short and not link.code for link in tracked):
            raise LedgerError(
                f"post {post.id} was planned without a short-link key; this is a bug in "
                "campaign: plan with the ledger's key (as `campaign schedule` does)"
            )
        links.extend(
            ShortLink(
                link.code, link.tagged, post.id, post.platform, post.campaign, post.announcement
            )
            for link in tracked
            if link.code
        )
    return links


def register(bind: Bind, posts: Sequence[Post]) -> int:
    """Store the short code of every shortened link of ``posts``; returns how many were new.

    Raises :class:`~campaign.errors.LedgerError` if a code already points elsewhere.
    """
    return store_short_links(bind, short_links_of(posts))


def store_short_links(bind: Bind, links: Sequence[ShortLink]) -> int:
    """Insert the ``links`` not stored yet (idempotent); returns how many were new.

    ``bind`` is an engine (own transaction), or a connection or session (the caller's).
    Raises :class:`~campaign.errors.LedgerError` if a code is already stored with another
    target, which only a changed code scheme or a corrupted ledger can cause.
    """
    unique = list({link.code: link for link in links}.values())
    if not unique:
        return 0
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            return _store(connection, unique)
    return _store(bind.connection() if isinstance(bind, Session) else bind, unique)


def _store(connection: Connection, links: list[ShortLink]) -> int:
    stored: dict[str, str] = {}
    for start in range(0, len(links), _CHUNK):
        codes = [link.code for link in links[start : start + _CHUNK]]
        query = select(ShortLinkRow.code, ShortLinkRow.target).where(ShortLinkRow.code.in_(codes))
        stored.update((code, target) for code, target in connection.execute(query))
    clashes = [link for link in links if stored.get(link.code, link.target) != link.target]
    if clashes:
        raise LedgerError(
            f"short code {clashes[0].code} already redirects to {stored[clashes[0].code]!r}, "
            f"not {clashes[0].target!r}; was CAMPAIGN_LINKS_SECRET shared with another ledger?"
        )
    now = datetime.now(UTC)
    rows = [{**link.__dict__, "created_at": now} for link in links if link.code not in stored]
    if rows:
        connection.execute(_insert_ignoring_duplicates(connection), rows)
    return len(rows)


def _insert_ignoring_duplicates(connection: Connection) -> Any:
    # A concurrent `schedule` may store the same code between our select and insert.
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(ShortLinkRow).on_conflict_do_nothing(index_elements=["code"])
    if dialect == "postgresql":
        return postgresql.insert(ShortLinkRow).on_conflict_do_nothing(index_elements=["code"])
    return insert(ShortLinkRow)
