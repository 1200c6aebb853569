"""Checks an image against the LinkedIn Images API's rules before anything is uploaded.

LinkedIn takes one JPEG, PNG or GIF image per post, of fewer than 36,152,320 pixels
(width x height), with up to 4,086 characters of alt text. Beside the shared checks
(:mod:`._images`) we read the size from the file's own header, so a broken file fails here,
with the file named, and never half-way through publishing.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from campaign.adapters._images import Image, load_images
from campaign.adapters.base import MediaItem
from campaign.adapters.linkedin import IMAGES
from campaign.errors import PermanentError

MAX_PIXELS = 36_152_320
# JPEG start-of-frame markers (baseline, progressive, …) carry the image size.
_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first start-of-frame segment, or None if there is none."""
    offset = 2
    while offset + 9 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        (segment,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + segment
    return None


def _size(data: bytes, mime_type: str) -> tuple[int, int] | None:
    """(width, height) read from the header of an image of ``mime_type``, None if unreadable."""
    if mime_type == "image/png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if mime_type == "image/gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if mime_type == "image/jpeg":
        return _jpeg_size(data)
    return None


def read_images(items: Sequence[MediaItem]) -> list[Image]:
    """The images of a post once it is known LinkedIn will take them.

    Raises :class:`PermanentError` saying what to fix when a file is missing, not a JPEG, PNG
    or GIF, broken, too large in pixels, or its alt text is empty or too long.
    """
    images = load_images(items, IMAGES)
    for image in images:
        size = _size(image.data, image.mime_type)
        if size is None or 0 in size:
            raise PermanentError(f"image {image.name}: the header is broken; re-export the image")
        width, height = size
        if width * height >= MAX_PIXELS:
            raise PermanentError(
                f"image {image.name}: {width}x{height} is {width * height:,} pixels; LinkedIn "
                f"takes fewer than {MAX_PIXELS:,}, so scale the image down"
            )
    return images
