"""Link cards read from the linked page's Open Graph tags, when ``campaign schedule`` runs.

A card (``app.bsky.embed.external``) shows the page's ``og:title``, ``og:description`` and
``og:image``. :func:`fetch_cards` reads each page once, carefully, since the page is on
somebody else's server: a deadline for the whole read, at most ``MAX_PAGE_BYTES`` of the page
and ``MAX_IMAGE_BYTES`` of its image, redirects followed by hand (at most five, each to
http or https only) and no request to a private, loopback or link-local address, which
would let a campaign file probe the machine's own network (``allow_private`` lifts that
for tests on loopback); the request goes to the very address checked. A page that cannot
be read gives a card marked unreadable, saying why: its posts go out with a plain link.

An image over Bluesky's blob limit (1,000,000 bytes, read up to ``MAX_SOURCE_IMAGE_BYTES``)
is scaled down to a JPEG that fits (:mod:`campaign.adapters._thumbnails`), with a note.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaign.adapters._thumbnails import Unscalable, fit_within
from campaign.platforms.bluesky import BLOB_MAX_BYTES, IMAGES, LinkCard
from campaign.platforms.images import Image

MAX_PAGE_BYTES = 1_000_000
MAX_IMAGE_BYTES = BLOB_MAX_BYTES
MAX_SOURCE_IMAGE_BYTES = 15_000_000  # a page's picture read, to be scaled down
MAX_REDIRECTS = 5
PAGE_TYPES = ("text/html", "application/xhtml+xml")
IMAGE_TYPES = ("image/",)
USER_AGENT = "campaign (link card reader)"
_TITLE_MAX = 300
_DESCRIPTION_MAX = 1000


class CardSettings(BaseSettings):
    """``CAMPAIGN_LINK_CARD_*``: how long one page may take to read, and (for tests only)
    whether pages on private or loopback addresses may be read."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_LINK_CARD_", extra="ignore")

    timeout_seconds: float = Field(default=10.0, gt=0)
    allow_private: bool = False


class Unreadable(Exception):
    """The page (or its image) could not be read; the message says why, for people."""


def fetch_cards(uris: Iterable[str], settings: CardSettings | None = None) -> list[LinkCard]:
    """A card for each page of ``uris``: read from its Open Graph tags, or marked unreadable
    with why. Never raises for a page's failure."""
    settings = settings or CardSettings()
    with httpx.Client(
        follow_redirects=False,
        timeout=settings.timeout_seconds,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    ) as client:
        reader = _Reader(client, settings)
        return [reader.card(uri) for uri in uris]


class _Reader:
    """Reads pages and images through one client, with the checks in the module docstring."""

    def __init__(self, client: httpx.Client, settings: CardSettings) -> None:
        self.client = client
        self.settings = settings

    def card(self, uri: str) -> LinkCard:
        try:
            final, page = self.get(uri, MAX_PAGE_BYTES, PAGE_TYPES)
        except Unreadable as exc:
            return LinkCard(uri, readable=False, note=f"the page could not be read: {exc}")
        tags = _OpenGraph.parse(page.decode("utf-8", "replace"))
        title = tags.get("og:title") or tags.get("title") or ""
        description = tags.get("og:description") or tags.get("description") or ""
        if not title:
            return LinkCard(uri, readable=False, note="the page has no og:title and no <title>")
        thumb, note = None, ""
        image = tags.get("og:image")
        if image:
            thumb, note = self.thumb(urljoin(final, image))
        return LinkCard(
            uri,
            title=title[:_TITLE_MAX],
            description=description[:_DESCRIPTION_MAX],
            thumb=thumb,
            note=note,
        )

    def thumb(self, url: str) -> tuple[Image | None, str]:
        """The page's image if Bluesky takes it, else ``None`` and why it was left out."""
        try:
            _, data = self.get(url, MAX_SOURCE_IMAGE_BYTES, IMAGE_TYPES)
        except Unreadable as exc:
            return None, f"the card has no image: {exc}"
        image = Image.of(url, data, "")
        if image.mime_type not in IMAGES.max_bytes:
            return None, "the card has no image: the page's image is not JPEG, PNG, WebP or GIF"
        if len(data) <= MAX_IMAGE_BYTES:
            return image, ""
        try:
            smaller = fit_within(data, MAX_IMAGE_BYTES)
        except Unscalable as exc:
            over = f"the page's image is over {MAX_IMAGE_BYTES:,} bytes and {exc}"
            return None, f"the card has no image: {over}"
        note = f"the page's image ({len(data):,} bytes) was scaled down to {len(smaller):,} bytes"
        return Image.of(url, smaller, ""), note

    def get(self, url: str, cap: int, kinds: tuple[str, ...]) -> tuple[str, bytes]:
        """The final address and body of ``url`` (at most ``cap`` bytes, of a type starting
        with one of ``kinds``), following redirects by hand; raises :class:`Unreadable`."""
        deadline = time.monotonic() + self.settings.timeout_seconds
        for _ in range(MAX_REDIRECTS + 1):
            target, headers, extensions = self.pinned(url)
            left = deadline - time.monotonic()  # the whole read, redirects included
            if left <= 0:
                raise Unreadable(f"{url} took longer than {self.settings.timeout_seconds:g} s")
            try:
                with self.client.stream(
                    "GET", target, headers=headers, extensions=extensions, timeout=left
                ) as answer:
                    if answer.is_redirect:
                        url = urljoin(url, answer.headers.get("Location", ""))
                        continue
                    if answer.status_code != 200:
                        raise Unreadable(f"{url} answered HTTP {answer.status_code}")
                    found = answer.headers.get("Content-Type", "")
                    if not found.lower().startswith(kinds):
                        stated = found or "of no stated type"
                        raise Unreadable(f"{url} is {stated}, not {' or '.join(kinds)}")
                    return url, _body(answer, url, cap, deadline, image=kinds == IMAGE_TYPES)
            except httpx.TimeoutException:
                raise Unreadable(
                    f"{url} did not answer within {self.settings.timeout_seconds:g} s"
                ) from None
            except httpx.HTTPError as exc:
                raise Unreadable(f"{url}: {exc}") from None
        raise Unreadable(f"more than {MAX_REDIRECTS} redirects")

    def pinned(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``url`` with its host replaced by the one address checked here, and the ``Host``
        header and TLS server name of the host: so the address connected to is the address
        checked (a name that resolves again to a private address cannot slip in between).
        Refuses a URL that is not http(s) or whose host is a private or local address
        (unless ``allow_private``)."""
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise Unreadable(f"{url!r} is not an http or https address")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise Unreadable(f"{host} could not be resolved ({exc})") from None
        addresses = [ipaddress.ip_address(entry[4][0]) for entry in found]
        if not self.settings.allow_private:
            for ip in addresses:
                if not ip.is_global:
                    raise Unreadable(
                        f"{host} is a private or local address ({ip}); cards are read only "
                        "from public sites"
                    )
        ip = addresses[0]
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        target = urlunsplit(parts._replace(netloc=f"{literal}:{port}"))
        shown_port = f":{parts.port}" if parts.port else ""
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        return target, {"Host": f"{host}{shown_port}"}, extensions


def _body(answer: httpx.Response, url: str, cap: int, deadline: float, *, image: bool) -> bytes:
    """At most ``cap`` bytes of the body; an image over ``cap`` is refused, a page cut."""
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        if time.monotonic() > deadline:
            raise Unreadable(f"{url} took too long to send")
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            if image:
                raise Unreadable(f"the page's image is over {cap:,} bytes")
            break
    return b"".join(chunks)[:cap]


class _OpenGraph(HTMLParser):
    """The ``og:*`` properties, ``<title>`` and meta description of an HTML page's head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, str] = {}
        self._in_title = False
        self._title: list[str] = []

    @classmethod
    def parse(cls, page: str) -> dict[str, str]:
        parser = cls()
        parser.feed(page)
        parser.close()
        title = " ".join("".join(parser._title).split())
        if title:
            parser.tags.setdefault("title", title)
        return parser.tags

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag != "meta":
            return
        values = dict(attrs)
        key = (values.get("property") or values.get("name") or "").lower()
        content = " ".join((values.get("content") or "").split())
        if key in ("og:title", "og:description", "og:image", "description") and content:
            self.tags.setdefault(key, content)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
