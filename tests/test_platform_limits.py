"""Pure platform rules: Bluesky's display links and link facets (UTF-8 byte ranges), and a
Mastodon server's limits read from its ``/api/v2/instance`` answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.platforms.bluesky import SPEC, display_length, display_text, display_url
from campaign.platforms.length import graphemes
from campaign.platforms.mastodon import SPEC as MASTODON
from campaign.platforms.mastodon import MastodonLimits

TRACKED = (
    "https://www.media4sec.eu/events/dark-web-workshop/?utm_source=bluesky&utm_medium=social"
    "&utm_campaign=darkweb-2017&utm_content=save_the_date"
)
READ = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (TRACKED, "www.media4sec.eu/events/dark-…"),
        ("https://example.org/", "example.org"),
        ("https://example.org/darkweb", "example.org/darkweb"),
        ("http://Example.ORG/fifteen-chars!", "example.org/fifteen-chars!"),  # 15: whole
        ("https://example.org/sixteen-chars!!", "example.org/sixteen-char…"),  # 16: cut at 13
        ("https://user@example.org/a?b=c#d", "example.org/a?b=c#d"),
        ("example.org/x", "example.org/x"),
        ("ftp://example.org/file", "ftp://example.org/file"),
    ],
)
def test_display_url_is_host_and_path_start_as_bluesky_shows_it(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_link_facets_cover_the_display_form_in_utf8_bytes_and_carry_the_whole_url() -> None:
    text = f"Den Haag – 26 září 🎉 {TRACKED} and example.org/x"
    shown = display_text(text)

    assert shown.text == "Den Haag – 26 září 🎉 www.media4sec.eu/events/dark-… and example.org/x"
    raw = shown.text.encode()
    assert [raw[f.byte_start : f.byte_end].decode() for f in shown.links] == [
        "www.media4sec.eu/events/dark-…",
        "example.org/x",
    ]
    assert shown.targets == (TRACKED, "https://example.org/x")
    assert shown.links[0].byte_start == len("Den Haag – 26 září 🎉 ".encode())


def test_the_300_limit_counts_the_display_text() -> None:
    text = "x" * 260 + " " + TRACKED  # 401 graphemes as written, 291 as shown
    assert graphemes(text) > SPEC.limit
    assert display_length(text) == 261 + len("www.media4sec.eu/events/dark-…")
    assert display_length(text) <= SPEC.limit
    assert SPEC.display(text) == display_text(text).text


@given(
    before=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    path=st.text(alphabet="abcdefghij/-_é", max_size=40),
)
def test_each_facet_decodes_to_its_links_display_form(before: str, path: str) -> None:
    url = f"https://example.org/{path}"
    shown = display_text(f"{before} {url} end")
    raw = shown.text.encode()
    for link in shown.links:
        assert raw[link.byte_start : link.byte_end].decode() == display_url(link.uri)


def test_a_v2_instance_answer_gives_the_servers_limits() -> None:
    answer = {
        "domain": "eupolicy.social",
        "configuration": {
            "statuses": {
                "max_characters": 1000,
                "max_media_attachments": 6,
                "characters_reserved_per_url": 30,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/avif", "video/mp4"],
                "image_size_limit": 8388608,
                "image_matrix_limit": 16777216,
                "description_limit": 2000,
            },
        },
    }
    limits = MastodonLimits.from_instance("eupolicy.social", answer, READ)
    spec = limits.spec()

    assert (spec.limit, spec.limits_from, spec.unit) == (
        1000,
        "eupolicy.social",
        "characters (URLs count 30)",
    )
    assert spec.count("See https://example.org/" + "a" * 100) == 4 + 30
    assert (spec.images.max_images, spec.images.max_alt, spec.images.max_pixels) == (
        6,
        2000,
        16777216,
    )
    assert dict(spec.images.max_bytes) == {"image/jpeg": 8388608, "image/png": 8388608}
    assert MastodonLimits.from_json(limits.to_json(), "eupolicy.social", READ) == limits


@pytest.mark.parametrize(
    "answer",
    [{}, {"configuration": None}, {"configuration": {"statuses": {"max_characters": "lots"}}}],
)
def test_what_a_server_leaves_out_keeps_the_default(answer: dict[str, object]) -> None:
    spec = MastodonLimits.from_instance("old.example", answer, READ).spec()

    assert (spec.limit, spec.images.max_alt, spec.images.max_images) == (500, 1500, 4)
    assert spec.limits_from == "old.example"
    assert MASTODON.limits_from == "default"
