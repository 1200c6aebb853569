"""A fake web site for link cards: pages with and without Open Graph tags, an image, an
oversized image, a redirect loop, a redirect to another scheme and a page that is slow.

Routes: ``/event`` (og:title, og:description, og:image ``/og.png``), ``/plain`` (only a
``<title>``), ``/bare`` (no title at all), ``/big`` (og:image ``/big.png``, a 1,200 x 900
photo-like PNG over Bluesky's 1,000,000-byte blob limit), ``/loop`` (redirects to itself),
``/to-file`` (redirects to a ``file:`` URL), ``/moved`` (redirects to ``/event``), ``/slow``
(answers only when the fake stops or after ``stall_seconds``) and ``/missing`` (404).
"""

from __future__ import annotations

import random
import struct
import zlib
from functools import cache
from io import BytesIO
from typing import ClassVar
from urllib.parse import urlsplit

from PIL import Image as Picture

from tests.fakes._http import FakeHandler, FakeServer

OG_PAGE = """<!doctype html><html><head>
<meta charset="utf-8"><title>Ignored when og:title is there</title>
<meta property="og:title" content="Dark Web workshop &amp; panel">
<meta property="og:description" content="How do we police crime on the Dark Web?">
<meta property="og:image" content="{image}">
</head><body><p>Programme</p></body></html>"""
PLAIN_PAGE = "<html><head><title>Plain  page</title></head><body>Hi</body></html>"
BARE_PAGE = "<html><body>No title here</body></html>"


def png(padding: int = 0) -> bytes:
    """A real 1x1 PNG, ``padding`` bytes bigger (in a private chunk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + (chunk(b"prVt", b"\0" * padding) if padding else b"")
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


@cache
def noisy_png(width: int = 1200, height: int = 900) -> bytes:
    """A PNG of random pixels (which PNG cannot compress): about 3 bytes a pixel."""
    pixels = random.Random(7).randbytes(width * height * 3)
    out = BytesIO()
    Picture.frombytes("RGB", (width, height), pixels).save(out, "PNG")
    return out.getvalue()


class SiteHandler(FakeHandler):
    """Answers the routes in the module docstring."""

    def do_GET(self) -> None:
        fake: FakeSite = self.server.fake
        fake.requests.append(self.path)
        fake.hosts.append(self.headers.get("Host", ""))
        path = urlsplit(self.path).path
        pages = {
            "/event": OG_PAGE.format(image="/og.png"),
            "/big": OG_PAGE.format(image=f"{fake.url}/big.png"),
            "/plain": PLAIN_PAGE,
            "/bare": BARE_PAGE,
        }
        redirects = {"/loop": "/loop", "/to-file": "file:///etc/passwd", "/moved": "/event"}
        if path in pages:
            self.send_bytes(200, pages[path].encode(), "text/html; charset=utf-8")
        elif path == "/og.png":
            self.send_bytes(200, fake.image, "image/png")
        elif path == "/big.png":
            self.send_bytes(200, noisy_png(), "image/png")
        elif path in redirects:
            self.send_bytes(302, b"", None, {"Location": redirects[path]})
        elif path == "/slow":
            if fake.released.wait(fake.stall_seconds):  # stopping: the client is long gone
                self.close_connection = True
            else:
                self.send_bytes(200, PLAIN_PAGE.encode(), "text/html")
        else:
            self.send_bytes(404, b"not here", "text/plain")


class FakeSite(FakeServer):
    """The site; ``requests`` lists the paths asked for (``hosts`` their Host headers),
    ``image`` is ``/og.png``'s bytes."""

    handler: ClassVar[type[FakeHandler]] = SiteHandler

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []
        self.hosts: list[str] = []  # the Host header of each request
        self.image = png(100)
