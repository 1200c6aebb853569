"""Link cards kept in the ledger: what ``campaign schedule`` read from each linked page, so
``preview`` shows the card without the network and the daemon sends it as it was read.

One row per page address; the card's picture is stored with the posts' images, by its
SHA-256 (:mod:`campaign.store.media`). A page that could not be read is kept too, marked so
with why: its posts go out with a plain link, and ``schedule`` tries the page again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Engine, Table, delete, insert, select

from campaign.platforms.bluesky import LinkCard
from campaign.platforms.images import Image
from campaign.store.engine import reading
from campaign.store.media import media_table, store_image_bytes
from campaign.store.schema import LinkCardRow

cards_table = cast(Table, LinkCardRow.__table__)


def save_cards(engine: Engine, cards: Iterable[LinkCard], now: datetime) -> None:
    """Keep ``cards`` (and their pictures) in place of any kept before for the same pages."""
    cards = list(cards)
    if not cards:
        return
    with engine.begin() as connection:
        thumbs = [card.thumb for card in cards if card.thumb is not None]
        store_image_bytes(connection, thumbs, now)
        uris = [card.uri for card in cards]
        connection.execute(delete(cards_table).where(cards_table.c.uri.in_(uris)))
        connection.execute(
            insert(cards_table),
            [
                {
                    "uri": card.uri,
                    "title": card.title,
                    "description": card.description,
                    "thumb_sha256": card.thumb.sha256 if card.thumb else None,
                    "readable": card.readable,
                    "note": card.note,
                    "fetched_at": now,
                }
                for card in cards
            ],
        )


def readable_cards(engine: Engine, uris: Collection[str]) -> set[str]:
    """Which of the pages ``uris`` already have a card read from them (not to fetch again)."""
    if not uris:
        return set()
    query = select(cards_table.c.uri).where(
        cards_table.c.uri.in_(list(uris)), cards_table.c.readable
    )
    with reading(engine) as connection:
        return set(connection.execute(query).scalars())


def cards_for(engine: Engine, uris: Collection[str]) -> dict[str, LinkCard]:
    """The kept cards of the pages ``uris`` that have one, by address, pictures included."""
    if not uris:
        return {}
    with reading(engine) as connection:
        return cards_of(connection, uris)


def cards_of(connection: Connection, uris: Collection[str]) -> dict[str, LinkCard]:
    """:func:`cards_for` inside the caller's connection."""
    rows = connection.execute(
        select(cards_table).where(cards_table.c.uri.in_(list(uris)))
    ).mappings()
    cards = {row["uri"]: row for row in rows}
    shas = [row["thumb_sha256"] for row in cards.values() if row["thumb_sha256"]]
    thumbs: dict[str, tuple[str, bytes]] = {}
    if shas:
        query = select(media_table.c.sha256, media_table.c.media_type, media_table.c.data)
        for sha, media_type, data in connection.execute(
            query.where(media_table.c.sha256.in_(shas))
        ):
            thumbs[sha] = (media_type, data)
    found: dict[str, LinkCard] = {}
    for uri, row in cards.items():
        thumb = thumbs.get(row["thumb_sha256"] or "")
        found[uri] = LinkCard(
            uri=uri,
            title=row["title"],
            description=row["description"],
            thumb=Image(uri, thumb[1], "", thumb[0]) if thumb else None,
            readable=row["readable"],
            note=row["note"],
        )
    return found
