"""pytest fixtures around :class:`~tests.fakes.x_api.FakeX` (``tests/conftest.py`` exposes
``fake_x`` and ``x_adapter`` to every test) and small real images to upload."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import pytest

from campaign.adapters._x_adapter import XAdapter
from campaign.adapters.base import Adapter
from campaign.adapters.twitter import XSettings

from .x_api import FakeX


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    """A running fake X API."""
    with FakeX() as fake:
        yield fake


@pytest.fixture
def x_adapter(fake_x: FakeX) -> Iterator[Adapter]:
    """The real X adapter, connected to ``fake_x``; it waits for X's processing without
    sleeping (``check_after_secs`` would otherwise add seconds to every GIF test)."""
    adapter = XAdapter(XSettings.load(fake_x.env()), sleep=lambda seconds: None)
    yield adapter
    adapter.close()


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, complete PNG image (grey pixels) of ``width`` x ``height``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def gif_bytes() -> bytes:
    """A real, complete 1x1 GIF image."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
