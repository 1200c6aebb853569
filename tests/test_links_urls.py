"""Finding URLs word by word gives exactly what twitter-text finds in the whole text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text.extract_urls import extract_urls_with_indices

from campaign.platforms.urls import UrlSpan, url_spans

CONFORMANCE = Path(__file__).parent / "conformance" / "twitter-text-validate.yml"

_PIECES = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0x2100), max_size=12),
    st.sampled_from(
        [
            "https://www.media4sec.eu/events/?utm_source=twitter#x",
            "http://t.co/abc",
            "https://t.co/" + "a" * 41,
            "HTTPS://Example.COM/a_(b)?c=d.",
            "example.com",
            "éexample.com",
            "-example.com",
            "www.example.org/path",
            "日本.jp",
            "xn--wgv71a119e.jp",
            "x.co",
            "@user.name",
            "$cash.tag",
            "a.b.c.d.e",
            "...",
            ":",
            "/",
            "(",
            ")",
            "?",
            ".",
            " ",
            "\n",
            "\r\n",
            "\t",
            "\x85",
            "\xa0",
            "\u2028",
            "\u3000",
            "\u202a",
            "\ufeff",
            "\x1c",
        ]
    ),
)


def _reference(text: str, without_protocol: bool) -> list[UrlSpan]:
    return [
        UrlSpan(found["url"], *found["indices"])
        for found in extract_urls_with_indices(text, without_protocol)
    ]


@pytest.mark.parametrize("without_protocol", [True, False])
@settings(max_examples=600, deadline=None)
@given(text=st.lists(_PIECES, max_size=14).map("".join))
def test_word_by_word_is_identical_to_twitter_text(text: str, without_protocol: bool) -> None:
    assert url_spans(text, without_protocol=without_protocol) == _reference(text, without_protocol)


@pytest.mark.parametrize(
    "text",
    [
        case["text"]
        for cases in yaml.safe_load(CONFORMANCE.read_text("utf-8"))["tests"].values()
        for case in cases
    ],
)
def test_conformance_texts_give_the_same_urls(text: str) -> None:
    for without_protocol in (True, False):
        assert url_spans(text, without_protocol=without_protocol) == _reference(
            text, without_protocol
        )
