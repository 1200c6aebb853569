"""Link cards read from Open Graph tags at ``schedule``, against a fake site on loopback:
with and without tags, an oversized image, redirects (a loop, another scheme), a slow page,
and no reading from private addresses unless a test allows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from campaign.adapters.linkcards import CardSettings, fetch_cards
from campaign.platforms.bluesky import LinkCard
from tests.fakes.og_site import FakeSite

LOOPBACK = CardSettings(allow_private=True, timeout_seconds=2)


@pytest.fixture(scope="module")
def site() -> Iterator[FakeSite]:
    with FakeSite() as fake:
        yield fake


def card(site: FakeSite, path: str, settings: CardSettings = LOOPBACK) -> LinkCard:
    [found] = fetch_cards([f"{site.url}{path}"], settings)
    return found


@pytest.mark.parametrize("path", ["/event", "/moved"])
def test_open_graph_tags_make_the_card_with_its_image(site: FakeSite, path: str) -> None:
    found = card(site, path)

    assert found.readable
    assert (found.uri, found.title) == (f"{site.url}{path}", "Dark Web workshop & panel")
    assert found.description == "How do we police crime on the Dark Web?"
    assert found.thumb is not None
    assert (found.thumb.data, found.thumb.mime_type) == (site.image, "image/png")


def test_a_page_without_open_graph_tags_uses_its_title(site: FakeSite) -> None:
    found = card(site, "/plain")

    assert (found.readable, found.title, found.description, found.thumb) == (
        True,
        "Plain page",
        "",
        None,
    )


def test_an_image_over_the_blob_limit_is_left_out_and_said_so(site: FakeSite) -> None:
    found = card(site, "/big")

    assert found.readable
    assert found.title == "Dark Web workshop & panel"
    assert found.thumb is None
    assert "over Bluesky's 1,000,000 bytes" in found.note


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/loop", "more than 5 redirects"),
        ("/to-file", "'file:///etc/passwd' is not an http or https address"),
        ("/missing", "answered HTTP 404"),
        ("/bare", "no og:title and no <title>"),
    ],
)
def test_a_page_that_cannot_be_read_gives_an_unreadable_card_saying_why(
    site: FakeSite, path: str, says: str
) -> None:
    found = card(site, path)

    assert not found.readable
    assert says in found.note
    assert (found.title, found.thumb) == ("", None)


def test_a_slow_page_is_given_up_after_the_timeout(site: FakeSite) -> None:
    found = card(site, "/slow", CardSettings(allow_private=True, timeout_seconds=0.2))

    assert not found.readable
    assert "did not answer within 0.2 s" in found.note


def test_loopback_and_private_addresses_are_refused_outside_tests(site: FakeSite) -> None:
    before = len(site.requests)
    found = card(site, "/event", CardSettings())

    assert not found.readable
    assert "is a private or local address (127.0.0.1)" in found.note
    assert len(site.requests) == before  # nothing was asked of it
