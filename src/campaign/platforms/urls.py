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
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from campaign.platforms.twittertext import extract_urls_with_indices, spaces_group

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
    for start, end in dotted_pieces(text):
        found = piece_urls(text[start:end], without_protocol)
        if found:
            spans += shifted(found, start)
    return spans


def dotted_pieces(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each word of ``text`` holding a dot, with the space before it.

    Every URL twitter-text finds in ``text`` lies inside one of these pieces, and
    :func:`piece_urls` of the piece finds it (see the module's docstring).
    """
    if "." not in text:
        return []
    if not _only_ascii_spaces(text):
        return [(max(start - 1, 0), end) for start, end in _dotted_words(text)]
    # The same, for the usual text whose only spaces are " " and "\n": str.find is quicker.
    pieces: list[tuple[int, int]] = []
    size = len(text)
    rfind, find = text.rfind, text.find
    dot = find(".")
    while dot != -1:
        if dot + 1 == size or text[dot + 1] in " \n":
            # A word whose only dot ends it, as a sentence's full stop does: every URL holds
            # a dot followed by its top-level domain, so there is none here.
            dot = find(".", dot + 1)
            continue
        start = max(rfind(" ", 0, dot), rfind("\n", 0, dot), 0)  # the space before the word
        end = find(" ", dot)
        newline = find("\n", dot)
        if end == -1 or -1 < newline < end:
            end = size if newline == -1 else newline
        pieces.append((start, end))
        dot = find(".", end)
    return pieces


def shifted(spans: Iterable[UrlSpan], offset: int) -> list[UrlSpan]:
    """``spans`` found in a piece, as offsets in a text where the piece starts at ``offset``."""
    new = tuple.__new__  # UrlSpan(...) would run NamedTuple's __new__, written in Python
    return [new(UrlSpan, (url, start + offset, end + offset)) for url, start, end in spans]


def _only_ascii_spaces(text: str) -> bool:
    """Whether the only twitter-text spaces ``text`` can hold are " " and "\n"."""
    return text.isascii() and not ("\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text)


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
def piece_urls(piece: str, without_protocol: bool) -> tuple[UrlSpan, ...]:
    """twitter-text's URLs in one piece (a dotted word and the space before it)."""
    return tuple(
        UrlSpan(found["url"], *found["indices"])
        for found in extract_urls_with_indices(piece, without_protocol)
    )
