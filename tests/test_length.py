"""Platform lengths: X's weighted length against the official twitter-text conformance cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.platforms.length import (
    characters,
    graphemes,
    mastodon_length,
    x_weighted_length,
    x_weighted_length_reference,
)
from campaign.platforms.registry import platforms
from campaign.platforms.urls import url_spans

CONFORMANCE = Path(__file__).parent / "conformance" / "twitter-text-validate.yml"


def _cases() -> list[Any]:
    data = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))
    cases = data["tests"]["WeightedTweetsWithDiscountedEmojiCounterTest"]
    return [pytest.param(case, id=case["description"]) for case in cases]


@pytest.mark.parametrize("case", _cases())
def test_x_weighted_length_matches_twitter_text_conformance(case: dict[str, Any]) -> None:
    length = x_weighted_length(case["text"])
    assert length == case["expected"]["weightedLength"]
    if case["expected"]["valid"]:
        assert length <= 280


@pytest.mark.parametrize("case", _cases())
def test_the_reference_matches_twitter_text_conformance_too(case: dict[str, Any]) -> None:
    assert x_weighted_length_reference(case["text"]) == case["expected"]["weightedLength"]


_PIECES = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40),
    st.sampled_from(
        [
            "https://www.media4sec.eu/events/?utm_source=twitter#x",
            "http://t.co/abc",
            "HTTPS://Example.COM/a_(b)?c=d.",
            "example.com",
            "www.example.org/path",
            "@media4sec@eupolicy.social",
            " \r\n",
            "e\u0301",
            "#DarkWeb",
            "@MEDIA4SEC",
            "©",
            "1\ufe0f\u20e3",
            "日本語",
            "👩‍👩‍👧",
            "x.co",
            "...",
            "\u2028",
            "-",
            "ftp://x.org",
        ]
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_fast_path_is_identical_to_twitter_text_parser(text: str) -> None:
    assert x_weighted_length(text) == x_weighted_length_reference(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_measures_given_the_urls_count_as_they_do_finding_them(text: str) -> None:
    urls = url_spans(text)
    assert x_weighted_length(text, urls) == x_weighted_length_reference(text)
    assert mastodon_length(text, urls) == mastodon_length(text)


def test_x_counts_urls_as_23_and_cjk_and_emoji_as_2() -> None:
    assert (
        x_weighted_length("https://www.media4sec.eu/events/dark-web-workshop/?utm_source=x") == 23
    )
    assert x_weighted_length("のの") == 4
    assert x_weighted_length("👩‍👩‍👧") == 2


def test_mastodon_counts_urls_as_23_and_remote_mentions_as_local() -> None:
    text = "See https://www.media4sec.eu/a/very/long/path/indeed?x=1 @media4sec@eupolicy.social"
    assert mastodon_length(text) == len("See ") + 23 + 1 + len("@media4sec")


def test_bluesky_counts_graphemes_and_linkedin_characters() -> None:
    family = "👩‍👩‍👧"
    assert graphemes(family + "é") == 2
    assert characters(family) == 5


def test_every_platform_reports_its_limit() -> None:
    limits = {name: spec.limit for name, spec in platforms().items()}
    assert limits == {"twitter": 280, "linkedin": 3000, "mastodon": 500, "bluesky": 300}
