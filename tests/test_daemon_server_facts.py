"""The daemon reads a Mastodon server's own limits at start and keeps them in the ledger,
and sends a Bluesky post with the link card ``schedule`` kept for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from campaign.daemon.config import DaemonSettings
from campaign.daemon.runtime import Runtime, run_once
from campaign.daemon.server_limits import refresh_server_limits
from campaign.platforms.bluesky import LinkCard
from campaign.platforms.images import Image
from campaign.store.cards import save_cards
from campaign.store.instances import stored_limits
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.og_site import png
from tests.ledger_helpers import make_post

Open = Callable[..., Runtime]
Build = Callable[..., DaemonSettings]


@pytest.fixture
def bluesky() -> Iterator[FakeBluesky]:
    with FakeBluesky() as fake:
        yield fake


def test_the_servers_limits_are_read_at_start_and_kept(
    fake_mastodon: FakeMastodon, daemon_settings: Build, open_runtime: Open
) -> None:
    fake_mastodon.max_characters, fake_mastodon.url_length = 1000, 30
    fake_mastodon.domain = "eupolicy.social"
    runtime = open_runtime(daemon_settings(fake_mastodon))
    now = runtime.clock.now()
    runtime.ledger.sync([make_post(platform="mastodon", at=now + timedelta(minutes=1))], now=now)

    refresh_server_limits(runtime)

    limits = stored_limits(runtime.ledger.engine)
    assert limits is not None
    assert (limits.server, limits.max_characters, limits.characters_reserved_per_url) == (
        "eupolicy.social",
        1000,
        30,
    )
    assert [c.operation for c in fake_mastodon.calls()] == ["whoami", "instance"]  # connect, read


def test_a_bluesky_post_goes_out_with_the_card_kept_at_schedule(
    bluesky: FakeBluesky, daemon_settings: Build, open_runtime: Open
) -> None:
    runtime = open_runtime(daemon_settings(bluesky))
    now = datetime.now(UTC)
    link = "https://www.media4sec.eu/events/dark-web-workshop/?utm_source=bluesky"
    post = make_post(platform="bluesky", at=now, text=f"Programme: {link}")
    thumb = Image.of("https://www.media4sec.eu/og.png", png(10), "")
    save_cards(runtime.ledger.engine, [LinkCard(link, "Dark Web", "The workshop", thumb)], now)
    runtime.ledger.sync([post], now=now - timedelta(seconds=1))

    run_once(runtime)

    [record] = bluesky.records.values()
    assert record.value["text"] == "Programme: www.media4sec.eu/events/dark-…"
    external = record.value["embed"]["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        link,
        "Dark Web",
        "The workshop",
    )
    assert bluesky.blobs[external["thumb"]["ref"]["$link"]].data == thumb.data
