"""The ledger keeps each server's limits (replaced on each read) and the link cards read at
``schedule`` (pictures stored once, by content), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign.platforms.bluesky import LinkCard
from campaign.platforms.images import Image
from campaign.platforms.mastodon import MastodonLimits
from campaign.store import Ledger
from campaign.store.cards import cards_for, readable_cards, save_cards
from campaign.store.instances import save_limits, server_specs, stored_limits
from tests.fakes.og_site import png

READ = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_last_read_limits_replace_the_ones_before(ledger: Ledger) -> None:
    assert stored_limits(ledger.engine) is None
    assert server_specs(ledger.engine) == {}
    save_limits(
        ledger.engine, MastodonLimits(max_characters=1000, server="a.example", read_at=READ)
    )
    later = MastodonLimits(
        max_characters=800, description_limit=900, server="b.example", read_at=READ + timedelta(1)
    )
    save_limits(ledger.engine, later)

    kept = stored_limits(ledger.engine)
    assert kept == later
    assert kept is not None
    assert kept.read_at == READ + timedelta(1)
    assert server_specs(ledger.engine)["mastodon"].limit == 800


def test_cards_are_kept_with_their_pictures_and_an_unreadable_page_is_tried_again(
    ledger: Ledger,
) -> None:
    thumb = Image.of("https://example.org/og.png", png(20), "")
    good = LinkCard("https://example.org/a", "A", "About A", thumb)
    bad = LinkCard("https://example.org/b", readable=False, note="answered HTTP 404")
    save_cards(ledger.engine, [good, bad], READ)
    save_cards(ledger.engine, [good], READ)  # read again: replaced, the picture stored once

    kept = cards_for(ledger.engine, {good.uri, bad.uri, "https://example.org/none"})
    assert set(kept) == {good.uri, bad.uri}
    assert (kept[good.uri].title, kept[good.uri].description) == ("A", "About A")
    assert kept[good.uri].thumb is not None
    assert kept[good.uri].thumb.data == thumb.data
    assert (kept[bad.uri].readable, kept[bad.uri].note) == (False, "answered HTTP 404")
    assert readable_cards(ledger.engine, {good.uri, bad.uri}) == {good.uri}
