"""Finding URLs word by word gives exactly what twitter-text finds in the whole text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text.extract_urls import extract_urls_with_indices

from campaign.platforms.urls import UrlSpan, url_spans
from campaign.tagging import LinkPolicy
from campaign.tagging.iri import author_links

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


# ASCII that twitter-text reads inside a link, the prose around links, and links starting a
# word (a host followed by what may follow one).
_ASCII_PIECES = st.sampled_from(
    [
        " https://www.media4sec.eu/",
        " https://www.media4sec.eu ",
        "\nhttp://blog.media4sec.eu:8080/",
        " (HTTPS://Media4Sec.EU?",
        " https://other.example/",
        *"/?#&=ab9.,!':;*~+-_@|$[]",
        "(x)",
        "%20",
        " ",
        "\n",
    ]
)
_POLICY = LinkPolicy(site="https://www.media4sec.eu/", track_domains=("blog.media4sec.eu",))


@settings(max_examples=600, deadline=None)
@given(text=st.lists(_ASCII_PIECES, max_size=16).map("".join))
def test_on_ascii_links_the_authors_link_is_the_one_twitter_text_reads(text: str) -> None:
    """Tagging takes a tracked link where twitter-text starts it, and ends it where twitter-text
    does when only prose punctuation follows; where X stops at a character it does not allow
    there (``https://a.eu#x``: a fragment without a path), the author's link goes on."""
    ours = [span for span in author_links(text) if _POLICY.tracks(span.url)]
    twitter = [span for span in _reference(text, False) if _POLICY.tracks(span.url)]
    assert [span.start for span in ours] == [span.start for span in twitter]
    for mine, theirs in zip(ours, twitter, strict=True):
        assert mine.url.startswith(theirs.url)
        rest = re.match(r"\S*", text[theirs.end :])
        assert rest is not None
        if set(rest.group()) <= set(".,!?':;*~"):
            assert mine == theirs
