"""How each platform measures a post's length.

X counts twitter-text v3 weighted length (URLs 23, CJK and emoji 2); Mastodon counts
grapheme clusters with every URL as 23 and ``@user@domain`` as ``@user``; Bluesky counts
grapheme clusters; LinkedIn counts characters.
"""

from __future__ import annotations

import regex
from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

MASTODON_URL_LENGTH = 23

_GRAPHEME = regex.compile(r"\X")
_MASTODON_MENTION = regex.compile(
    r"(?<![\p{L}\p{N}_/@])@([a-zA-Z0-9_]+(?:[a-zA-Z0-9_.-]+[a-zA-Z0-9_]+)?)@[\p{L}\p{N}.-]+\.[a-z]+",
    regex.IGNORECASE,
)


def x_weighted_length(text: str) -> int:
    """X's weighted length of ``text``, as twitter-text v3 computes it."""
    return int(parse_tweet(text).weightedLength)


def graphemes(text: str) -> int:
    """The number of user-perceived characters (extended grapheme clusters) in ``text``."""
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str) -> int:
    """Mastodon's length: graphemes, with each URL counted as 23 and remote mentions as local."""
    spans = extract_urls_with_indices(text, extract_urls_without_protocol=False)
    pieces: list[str] = []
    cursor = 0
    for span in spans:
        start, end = span["indices"]
        pieces.append(text[cursor:start])
        pieces.append("x" * MASTODON_URL_LENGTH)
        cursor = end
    pieces.append(text[cursor:])
    countable = _MASTODON_MENTION.sub(r"@\1", "".join(pieces))
    return graphemes(countable)


def characters(text: str) -> int:
    """Plain character (code point) count."""
    return len(text)
