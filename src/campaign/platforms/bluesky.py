"""Bluesky: 300 graphemes, threads, up to four JPEG, PNG, WebP or GIF images of at most
1,000,000 bytes each (the blob limit), alt text without a stated limit.

Links show as Bluesky's own app shows them: the text carries a short display form (the host
and the start of the path, ending in "…") and a link facet over it carries the full URL, so
a tagged link costs about 30 graphemes instead of 140. The 300-grapheme limit counts the
display text (:func:`display_length`). A post without images may carry a link card for its
first link (:class:`LinkCard`), built from the page's Open Graph tags when it is scheduled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import Image, ImageRules
from campaign.platforms.length import graphemes
from campaign.platforms.urls import UrlSpan, url_spans

BLOB_MAX_BYTES = 1_000_000
# The app's toShortUrl: a path (with query and fragment) over 15 characters is cut to 13.
_PATH_SHOWN = 13
_PATH_WHOLE = 15
ELLIPSIS = "…"

IMAGES = ImageRules(
    platform="Bluesky",
    max_bytes=dict.fromkeys(("image/jpeg", "image/png", "image/webp", "image/gif"), BLOB_MAX_BYTES),
    max_alt=None,
    max_images=4,
)


@dataclass(frozen=True)
class LinkFacet:
    """A link over ``[byte_start, byte_end)`` of the display text (UTF-8 bytes, as
    ``app.bsky.richtext.facet`` indexes it) that opens ``uri``."""

    byte_start: int
    byte_end: int
    uri: str


@dataclass(frozen=True)
class DisplayText:
    """A post's text as Bluesky shows it, with the link facets that carry the full URLs."""

    text: str
    links: tuple[LinkFacet, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """The full URLs of the links, in order."""
        return tuple(link.uri for link in self.links)


@dataclass(frozen=True)
class LinkCard:
    """The card (``app.bsky.embed.external``) a post shows for its first link.

    Read from the page's Open Graph tags when the post was scheduled: ``title``,
    ``description`` and ``thumb``, the page's image when it was one Bluesky takes. ``note``
    says what was left out and why (an image too large), or, with ``readable`` False, why
    the page could not be read: the post then goes out with a plain link.
    """

    uri: str
    title: str = ""
    description: str = ""
    thumb: Image | None = None
    readable: bool = True
    note: str = ""


def display_url(url: str) -> str:
    """How Bluesky's app shows ``url``: host and path, the path cut to 13 characters and "…"
    when it (with query and fragment) is longer than 15. Not http(s): ``url`` unchanged."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    host = parts.netloc.rpartition("@")[2].lower()
    path = "" if parts.path == "/" else parts.path
    path += f"?{parts.query}" if parts.query else ""
    path += f"#{parts.fragment}" if parts.fragment else ""
    if len(path) > _PATH_WHOLE:
        return host + path[:_PATH_SHOWN] + ELLIPSIS
    return host + path


def link_target(url: str) -> str:
    """The URL a link found in the text opens: as written, with ``https://`` when it has no
    scheme (``example.org/x``), as Bluesky's own link detection does."""
    return url if "://" in url else f"https://{url}"


def display_text(text: str, urls: Sequence[UrlSpan] | None = None) -> DisplayText:
    """``text`` with each URL in its display form, and a link facet to the full URL over it.

    ``urls``, when given, must be ``url_spans(text)``.
    """
    spans = url_spans(text) if urls is None else urls
    if not spans:
        return DisplayText(text)
    pieces: list[str] = []
    links: list[LinkFacet] = []
    cursor = size = 0
    for span in spans:
        before = text[cursor : span.start]
        shown = display_url(span.url)
        size += len(before.encode())
        pieces += (before, shown)
        start, size = size, size + len(shown.encode())
        links.append(LinkFacet(start, size, link_target(span.url)))
        cursor = span.end
    pieces.append(text[cursor:])
    return DisplayText("".join(pieces), tuple(links))


def display_length(text: str, urls: Sequence[UrlSpan] | None = None) -> int:
    """Bluesky's length of ``text``: the graphemes of its display text (links shortened)."""
    spans = url_spans(text) if urls is None else urls
    return graphemes(display_text(text, spans).text if spans else text)


def display(text: str) -> str:
    """The text as Bluesky will show it (links in their display form)."""
    return display_text(text).text


def first_link(text: str) -> str | None:
    """The full URL of the first link in ``text`` (the one a card is made for), or ``None``."""
    spans = url_spans(text)
    return link_target(spans[0].url) if spans else None


SPEC = PlatformSpec(
    name="bluesky",
    title="Bluesky",
    limit=300,
    unit="graphemes",
    count=display_length,
    images=IMAGES,
    threads=True,
    display=display,
)
