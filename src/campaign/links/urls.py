"""Finds the URLs of a post text exactly as twitter-text does, without rescanning repeats.

twitter-text's URL pattern is tried at every position of a text, which made it the largest
cost of planning. Yet no URL it finds contains a space (none of the characters its domain,
path and query may hold is one) and every URL has a ``.`` in its domain; the pattern has no
look-ahead or look-behind and sees only the one character just before a URL. So the URLs
of a text are those of each word holding a dot, extracted together with the space before
the word, shifted by where that piece starts. Words repeat from post to post (the same
links, the same sentences), so each piece is extracted once and its URLs cached. Tests
check the result against :func:`twitter_text.extract_urls.extract_urls_with_indices`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.regexp.spaces_group import spaces_group

# The rest of a word: characters that are not twitter-text's spaces.
_WORD = re.compile(f"[^{spaces_group}]*+")


class UrlSpan(NamedTuple):
    """One URL found in a text: as found, and its code point offsets ``[start, end)``."""

    url: str
    start: int
    end: int


def url_spans(text: str, *, without_protocol: bool = True) -> list[UrlSpan]:
    """The URLs in ``text``, in order, as ``extract_urls_with_indices`` finds them.

    ``without_protocol`` as in twitter-text: whether ``example.org`` counts as a URL.
    """
    spans: list[UrlSpan] = []
    if "." not in text:
        return spans
    if not _only_ascii_spaces(text):
        for start, end in _pieces(text):
            for url, begin, stop in _piece_spans(text[start:end], without_protocol):
                spans.append(UrlSpan(url, start + begin, start + stop))
        return spans
    # The same, for the usual text whose only spaces are " " and "\n": str.find is quicker.
    size = len(text)
    rfind, find = text.rfind, text.find
    dot = find(".")
    while dot != -1:
        start = max(rfind(" ", 0, dot), rfind("\n", 0, dot), 0)  # the space before the word
        end = find(" ", dot)
        newline = find("\n", dot)
        if end == -1 or -1 < newline < end:
            end = size if newline == -1 else newline
        for url, begin, stop in _piece_spans(text[start:end], without_protocol):
            spans.append(UrlSpan(url, start + begin, start + stop))
        dot = find(".", end)
    return spans


def _only_ascii_spaces(text: str) -> bool:
    """Whether the only twitter-text spaces ``text`` can hold are " " and "\n"."""
    return text.isascii() and not ("\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text)


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of each dotted word of ``text`` with the character before it."""
    for word_start, word_end in _dotted_words(text):
        yield max(word_start - 1, 0), word_end


def _dotted_words(text: str) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of each word of ``text`` holding a dot, found from the dots out."""
    backwards = text[::-1]
    size = len(text)
    dot = text.find(".")
    while dot != -1:
        start = size - _word_end(backwards, size - 1 - dot)
        end = _word_end(text, dot)
        yield start, end
        dot = text.find(".", end)


def _word_end(text: str, position: int) -> int:
    """Where the run of non-space characters from ``position`` on ends."""
    match = _WORD.match(text, position)
    return match.end() if match else position


@lru_cache(maxsize=8192)
def _piece_spans(piece: str, without_protocol: bool) -> tuple[UrlSpan, ...]:
    """twitter-text's URLs in one piece (a dotted word and the space before it)."""
    return tuple(
        UrlSpan(found["url"], *found["indices"])
        for found in extract_urls_with_indices(piece, without_protocol)
    )
