"""What planning commands read from the ledger when there is one: each server's own limits
and the link cards ``schedule`` read. Local reads only: ``validate`` and ``preview`` never
touch the network, and without a ledger they use the platforms' defaults (and say so)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from campaign.platforms.base import PlatformSpec
    from campaign.platforms.bluesky import LinkCard
    from campaign.render.post import Post

FETCHED_AT_SCHEDULE = "fetched at schedule"


@contextmanager
def existing_ledger() -> Iterator[Engine | None]:
    """The ledger's engine if a ledger exists at this version's schema, else ``None``;
    nothing is created, upgraded or written (see :func:`campaign.store.existing`)."""
    from campaign.store.existing import existing_engine

    engine = existing_engine()
    try:
        yield engine
    finally:
        if engine is not None:
            engine.dispose()


def server_specs(engine: Engine | None) -> dict[str, PlatformSpec]:
    """The platforms whose servers' own limits the ledger holds (none without a ledger)."""
    from campaign.store.instances import server_specs as stored

    return stored(engine) if engine is not None else {}


def limit_notes(posts: Sequence[Post]) -> list[str]:
    """One line per platform of ``posts`` whose server sets its own limits: the limit used
    and whose it is (``Mastodon: 1000 (eupolicy.social)``), or that it is the default."""
    from campaign.platforms.registry import platform

    notes = {}
    for post in posts:
        if post.limit_from and post.platform not in notes:
            spec = platform(post.platform)
            note = f"{spec.title}: {post.limit} ({post.limit_from})"
            if post.limit_from == "default":
                note += f"; run `campaign accounts check {spec.name}` to read your server's"
            notes[post.platform] = note
    return list(notes.values())


def card_pages(posts: Sequence[Post]) -> dict[str, str]:
    """The page whose link card each post shows, by post id: a Bluesky post without images
    with a link, while ``CAMPAIGN_BLUESKY_LINK_CARD`` is on."""
    from campaign.adapters.bluesky import BlueskySettings
    from campaign.platforms.bluesky import first_link

    if not any(post.platform == "bluesky" for post in posts) or not BlueskySettings().link_card:
        return {}
    pages = {}
    for post in posts:
        if post.platform == "bluesky" and not post.media:
            page = first_link(post.text)
            if page:
                pages[post.id] = page
    return pages


def read_cards(engine: Engine, posts: Sequence[Post]) -> list[LinkCard]:
    """Read the cards of the pages ``posts`` link to (see :func:`card_pages`) not read
    before (or unreadable last time) and keep them in the ledger; returns those read now.
    A short link's page is read at the address it redirects to (the redirector does not
    know the code yet, and a read must not count as a click); the card keeps the short link.
    This is the one step of ``schedule`` that goes to the network beyond the ledger: see
    :mod:`campaign.adapters.linkcards`."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from campaign.adapters.linkcards import fetch_cards
    from campaign.store.cards import readable_cards, save_cards

    pages = set(card_pages(posts).values())
    targets = {
        link.short: link.tagged
        for post in posts
        for link in post.extra.get("tracked_links", ())
        if link.short in pages
    }
    missing = sorted(pages - readable_cards(engine, pages))
    read = fetch_cards([targets.get(page, page) for page in missing]) if missing else []
    cards = [replace(card, uri=page) for page, card in zip(missing, read, strict=True)]
    save_cards(engine, cards, datetime.now(UTC))
    return cards


def card_views(engine: Engine | None, posts: Sequence[Post]) -> dict[str, dict[str, Any]]:
    """The ``card`` of each post that shows one, as ``preview --json`` prints it: the card
    kept in the ledger, or that it will be read at ``schedule``."""
    from campaign.store.cards import cards_for

    pages = card_pages(posts)
    kept = cards_for(engine, set(pages.values())) if engine is not None and pages else {}
    views: dict[str, dict[str, Any]] = {}
    for post_id, page in pages.items():
        card = kept.get(page)
        if card is None:
            views[post_id] = {"uri": page, "state": FETCHED_AT_SCHEDULE}
        elif not card.readable:
            views[post_id] = {"uri": page, "state": "unreadable", "note": card.note}
        else:
            views[post_id] = {
                "uri": page,
                "state": "stored",
                "title": card.title,
                "description": card.description,
                "image": card.thumb is not None,
                "note": card.note,
            }
    return views
