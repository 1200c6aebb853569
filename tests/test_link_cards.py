"""Link cards read from Open Graph tags at ``schedule``, against a fake site on loopback:
with and without tags, an oversized image, redirects (a loop, another scheme), a slow page,
and no reading from private addresses unless a test allows it."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import pytest
from PIL import Image as Picture

from campaign.adapters._thumbnails import Unscalable, fit_within
from campaign.adapters.linkcards import CardSettings, fetch_cards
from campaign.platforms.bluesky import LinkCard
from tests.fakes.og_site import FakeSite, noisy_png

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


def test_an_image_over_the_blob_limit_is_scaled_down_to_fit(site: FakeSite) -> None:
    found = card(site, "/big")

    assert found.readable
    assert found.title == "Dark Web workshop & panel"
    assert found.thumb is not None
    assert found.thumb.mime_type == "image/jpeg"
    assert len(noisy_png()) > 1_000_000 >= len(found.thumb.data)
    with Picture.open(BytesIO(found.thumb.data)) as scaled:
        assert max(scaled.size) <= 2000
        assert scaled.size[0] / scaled.size[1] == pytest.approx(1200 / 900, rel=0.01)
    assert f"({len(noisy_png()):,} bytes) was scaled down to" in found.note


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    out = BytesIO()
    Picture.new("1", (10_000, 6_000)).save(out, "PNG")  # a small file, 60 million pixels
    with pytest.raises(Unscalable, match="10000x6000 pixels, over 50,000,000"):
        fit_within(out.getvalue(), 1_000_000)


def test_bytes_that_are_no_picture_cannot_be_scaled() -> None:
    with pytest.raises(Unscalable, match="cannot be read as a picture"):
        fit_within(b"\x89PNG\r\n\x1a\n" + b"\0" * 2_000_000, 1_000_000)


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
