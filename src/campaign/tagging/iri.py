"""The author's links in a post text, read as IRIs and never rewritten.

Real posts link to ``…/news/?q=müller``, ``…/Αθήνα`` or ``…/文章``: internationalized
resource identifiers (RFC 3987), written as the author typed them. Tagging appends to such a
link, so it needs the link as the author wrote it, whole. twitter-text cannot give that: it
finds links the way X counts them, and X ends a link at the first character it does not
allow there (any non-ASCII character in a query, Greek or CJK in a path, ``\\``, an
unbalanced ``(``), leaving the rest of the author's URL as plain text.

So a link here starts where twitter-text would start one (``http://`` or ``https://``, not
glued to a letter, digit, ``@``, ``$`` or ``#`` before it) and runs to the end of its word,
less the punctuation that closes a sentence around it (``.``, ``,``, ``!``, ``?``, quotes, a
``)`` that no ``(`` in the link opened…), by twitter-text's own rules for the last
character of a path or query. On ASCII links that twitter-text reads whole the two agree;
the length check still counts the final text with twitter-text, as X does.

This module also gives a link's host, compared in IDNA form (``παράδειγμα.ελ`` is
``xn--hxajbheg2az3al.xn--qxam``), and a link's URI form for an HTTP ``Location`` header.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, urlsplit

from campaign.platforms.twittertext import (
    directional_markers_group,
    invalid_chars_group,
    spaces_group,
)
from campaign.platforms.urls import UrlSpan, dotted_pieces, shifted

# A link starts as twitter-text's does (its valid_url_preceding_chars) and stops at a
# space or at a character no IRI holds and prose puts around links (RFC 3987: < > ").
_LINK = re.compile(
    rf"(?<![A-Za-z0-9@＠$#＃{invalid_chars_group}])"
    r"(?i:https?)://"
    rf"[^{spaces_group}{invalid_chars_group}{directional_markers_group}<>\"]+"
)
# scheme://authority: the authority ends where a browser ends it (WHATWG: / \ ? #).
_AUTHORITY = re.compile(r"(?i:https?)://([^/\\?#]*)")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
# Characters that may end a link anywhere (twitter-text's path and query endings agree).
_ENDINGS = frozenset("/-_=#")


def author_links(text: str) -> list[UrlSpan]:
    """Every ``http(s)`` link of ``text`` as the author wrote it, in order (see the module).

    Like :func:`~campaign.platforms.urls.url_spans`, only words holding a dot are searched:
    a link to a host without one (``http://localhost/``) is not a link on the platforms.
    """
    spans: list[UrlSpan] = []
    for start, end in dotted_pieces(text):
        found = piece_links(text[start:end])
        if found:
            spans += shifted(found, start)
    return spans


@lru_cache(maxsize=8192)
def piece_links(piece: str) -> tuple[UrlSpan, ...]:
    """:func:`author_links` of one piece (a dotted word and the space before it)."""
    if "://" not in piece:
        return ()
    spans = []
    for match in _LINK.finditer(piece):
        start = match.start()
        url = match.group()
        end = start + _link_length(url)
        if end > start + url.index("://") + 3:
            spans.append(UrlSpan(piece[start:end], start, end))
    return tuple(spans)


def _link_length(url: str) -> int:
    """How much of ``url`` (a link and what follows it up to a space) is the link.

    Trailing characters are dropped until one may end a link: a letter, digit or ``/ - _ =
    #`` (with the combining marks after it), ``&`` in a query, ``+`` or a ``)`` closing a
    ``(`` of the link before one (twitter-text's rules, which read ``/wiki/Foo_(bar)``).
    """
    end = len(url)
    while end:
        base = end - 1
        while base and unicodedata.category(url[base]).startswith("M"):
            base -= 1
        char = url[base]
        if (
            char.isalnum()
            or char in _ENDINGS
            or (char == "&" and "?" in url[:base])
            or (char == "+" and "?" not in url[:base])
            or (char == ")" and "?" not in url[:base] and _opened(url, base))
        ):
            return end
        end = base
    return 0


def _opened(url: str, close: int) -> bool:
    """Whether the ``)`` at ``close`` closes a ``(`` of ``url``."""
    return url.count("(", 0, close) > url.count(")", 0, close)


def link_host(url: str) -> str | None:
    """The host of the ``http(s)`` link ``url`` in comparable form, or ``None`` without one.

    The authority ends at ``/``, ``\\``, ``?`` or ``#`` as in a browser; user info and port
    are dropped; the host is in IDNA ASCII form, lower case, without a trailing dot.
    """
    match = _AUTHORITY.match(url)
    if match is None:
        return None
    try:
        host = urlsplit(f"//{match.group(1)}").hostname
    except ValueError:  # an invalid IPv6 literal, or a netloc that NFKC would change
        return None
    return comparable_host(host) if host else None


def comparable_host(host: str) -> str:
    """``host`` as hosts are compared: IDNA (UTS 46) ASCII form, lower case, no final dot.

    A name IDNA refuses (``my_host.example``) is compared case-folded as written.
    """
    host = host.rstrip(".")
    if host.isascii():
        return host.lower()
    import idna  # only for non-ASCII hosts: most campaigns never need its tables

    try:
        return str(idna.encode(host, uts46=True).decode("ascii"))
    except idna.IDNAError:
        return host.casefold()


def iri_to_uri(iri: str) -> str:
    """The URI of ``iri`` (RFC 3987 §3.1): what an HTTP ``Location`` header can carry.

    Every ASCII character stays as written (``%``-escapes included); a non-ASCII host
    becomes its IDNA form; every other non-ASCII character is percent-encoded as UTF-8, so
    decoding those escapes gives back ``iri``. Raises ``ValueError`` (``idna.IDNAError``)
    for a non-ASCII host that is not a valid IDN.
    """
    if iri.isascii():
        return iri
    prefix = ""
    match = _AUTHORITY.match(iri)
    if match is not None and not match.group(1).isascii():
        import idna

        userinfo, at, hostport = match.group(1).rpartition("@")
        host, colon, port = (
            ("", "", hostport) if hostport.startswith("[") else hostport.partition(":")
        )
        ascii_host = idna.encode(host, uts46=True).decode("ascii") if host else ""
        authority = f"{_escaped(userinfo)}{at}{ascii_host}{colon}{_escaped(port)}"
        prefix = f"{iri[: match.start(1)]}{authority}"
        iri = iri[match.end(1) :]
    return prefix + _escaped(iri)


def _escaped(text: str) -> str:
    """``text`` with each run of non-ASCII characters percent-encoded as UTF-8."""
    return _NOT_ASCII.sub(lambda run: quote(run.group(), safe=""), text)
