"""Checks an image against the LinkedIn Images API's rules before anything is uploaded.

LinkedIn takes JPEG, PNG and GIF images of fewer than 36,152,320 pixels (width x height),
and up to 4,086 characters of alt text. We read the size from the file's own header so a
broken or mislabelled file fails here, with the file named, and never half-way through
publishing.
"""

from __future__ import annotations

import struct
from pathlib import Path

from campaign.adapters.base import MediaItem
from campaign.errors import PermanentError

MAX_PIXELS = 36_152_320
MAX_ALT_TEXT = 4086

_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
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


def read_image(item: MediaItem) -> bytes:
    """The bytes of ``item`` once it is known LinkedIn will take it.

    Raises :class:`PermanentError` saying what to fix when the file is missing, not a JPEG,
    PNG or GIF, not what its type says, too large, or its alt text is empty or too long.
    """
    path = Path(item.path)
    if item.mime_type not in _SIGNATURES:
        raise PermanentError(
            f"{path}: LinkedIn takes JPEG, PNG or GIF images, not {item.mime_type}; "
            "convert the image to one of those"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PermanentError(
            f"{path}: cannot read the image ({exc.strerror}); check the path in the campaign file"
        ) from None
    if not data.startswith(_SIGNATURES[item.mime_type]):
        raise PermanentError(
            f"{path}: the file is not a valid {item.mime_type} image; "
            "re-export it or fix its file extension"
        )
    size = _size(data, item.mime_type)
    if size is None or 0 in size:
        raise PermanentError(f"{path}: the image header is broken; re-export the image")
    width, height = size
    if width * height >= MAX_PIXELS:
        raise PermanentError(
            f"{path}: {width}x{height} is {width * height:,} pixels; LinkedIn takes fewer "
            f"than {MAX_PIXELS:,}, so scale the image down"
        )
    if not item.alt.strip():
        raise PermanentError(f"{path}: the image needs alt text describing it")
    if len(item.alt) > MAX_ALT_TEXT:
        raise PermanentError(
            f"{path}: the alt text has {len(item.alt):,} characters; LinkedIn takes at most "
            f"{MAX_ALT_TEXT:,}, so shorten it"
        )
    return data
