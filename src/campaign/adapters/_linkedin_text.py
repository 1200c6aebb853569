"""Turns a rendered post into LinkedIn's "little text" format for the ``commentary`` field.

LinkedIn parses ``commentary`` for mentions and hashtags, so ``| { } @ [ ] ( ) < > # \\ * _ ~``
are reserved; an unescaped one makes LinkedIn cut the post short at that character while
still answering 201. Every reserved character is therefore escaped with a backslash, inside
URLs too: escaping is part of the format, not of the text, so the published text (and the
link LinkedIn detects in it) reads exactly as written.

Hashtags (``#`` at the start of a word, outside URLs) become explicit hashtag templates,
``{hashtag|\\#|tag}``, so LinkedIn links them and it is unambiguous where each one ends.
``@`` is always escaped: a LinkedIn mention needs the mentioned page's URN, which campaign
files do not carry, so ``@name`` is published as plain text.
"""

from __future__ import annotations

import re

from campaign.platforms.twittertext import extract_urls_with_indices

RESERVED = frozenset("|{}@[]()<>#\\*_~")

_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def escape(text: str) -> str:
    """``text`` with every little-text reserved character backslash-escaped."""
    return "".join(f"\\{char}" if char in RESERVED else char for char in text)


def _with_hashtags(text: str) -> str:
    """Escape ``text`` (no URLs in it), writing each ``#tag`` as a hashtag template."""
    pieces: list[str] = []
    cursor = 0
    for match in _HASHTAG.finditer(text):
        pieces.append(escape(text[cursor : match.start()]))
        pieces.append(f"{{hashtag|\\#|{escape(match.group(1))}}}")
        cursor = match.end()
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


def commentary(text: str) -> str:
    """``text`` as little text: reserved characters escaped, hashtags as templates."""
    spans = extract_urls_with_indices(text, extract_urls_without_protocol=True)
    pieces: list[str] = []
    cursor = 0
    for span in spans:
        start, end = span["indices"]
        pieces.append(_with_hashtags(text[cursor:start]))
        pieces.append(escape(text[start:end]))
        cursor = end
    pieces.append(_with_hashtags(text[cursor:]))
    return "".join(pieces)
