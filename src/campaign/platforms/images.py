"""Images and the rules each platform has for them: one judgement for planning and publishing.

An :class:`Image` is the bytes of one attached image with its alt text. :func:`check_images`
decides whether a platform takes a post's images, from their bytes (not their names): a
complete image of a type the platform takes, within its size (bytes and pixels), with alt
text within its limit, no more images than it allows and, on X, a GIF only alone. ``validate``,
``preview`` and ``schedule`` call it when planning and every adapter calls it again before
uploading, so the two can never disagree. Pure: nothing here reads a file or the network.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath

from campaign.errors import PermanentError

MB = 1024 * 1024
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# Formats people try that platforms do not take, to name them in the error.
_OTHER_FORMATS = {
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"%PDF": "PDF",
    b"<svg": "SVG",
    b"<?xml": "SVG/XML",
}
_CLAIMED = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WebP", ".gif": "GIF"}
# JPEG start-of-frame markers (baseline, progressive, …) carry the image size.
_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


@dataclass(frozen=True, eq=False)
class Image:
    """One image attached to a post: its bytes, its type and its alt text.

    ``source`` says where it came from (the path as planned), for messages and previews;
    ``mime_type`` is what :func:`sniff` found, or ``None`` when the bytes are no complete
    image we know (:func:`check_images` then refuses it, saying why).
    """

    source: str
    data: bytes = field(repr=False)
    alt: str
    mime_type: str | None

    @property
    def name(self) -> str:
        """The file name alone, as uploads carry it."""
        return PurePath(self.source).name

    @property
    def media_type(self) -> str:
        """The MIME type to upload it as (only a checked image is ever uploaded)."""
        return self.mime_type or "application/octet-stream"

    @cached_property
    def sha256(self) -> str:
        """The hex SHA-256 of the bytes: the image's identity in the ledger."""
        return hashlib.sha256(self.data).hexdigest()

    @classmethod
    def of(cls, source: str, data: bytes, alt: str) -> Image:
        """The image ``data`` from ``source``, its type sniffed from its bytes."""
        return cls(source=source, data=data, alt=alt, mime_type=sniff(data))


@dataclass(frozen=True)
class ImageRules:
    """What one platform takes: ``max_bytes`` per MIME type (a type not listed is refused;
    ``None``: no limit in bytes), the longest alt text (``None``: no limit), how many images
    one post may carry, whether a GIF must go alone, and the pixel count an image must stay
    under (``None``: no limit)."""

    platform: str
    max_bytes: Mapping[str, int | None]
    max_alt: int | None
    max_images: int
    gif_alone: bool = False
    max_pixels: int | None = None

    @property
    def accepted(self) -> str:
        """The accepted formats for people: ``JPEG, PNG or GIF``."""
        names = [IMAGE_FORMATS[mime] for mime in self.max_bytes]
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def image_type(data: bytes) -> str | None:
    """The image type ``data`` begins as, from its first bytes, or ``None`` if none we know."""
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff(data: bytes) -> str | None:
    """The MIME type of a complete PNG, JPEG, GIF or WebP image in ``data``, else ``None``."""
    mime = image_type(data)
    return mime if mime is not None and is_complete(data, mime) else None


def is_complete(data: bytes, mime: str) -> bool:
    """Whether ``data``, an image of type ``mime`` by its first bytes, is all there."""
    return _COMPLETE[mime](data)


def _png_complete(data: bytes) -> bool:
    """Its header chunk comes first and its end chunk (length, ``IEND``, CRC) last."""
    return data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"


def _jpeg_complete(data: bytes) -> bool:
    """Its segments lead to the image data, which an end marker closes.

    Entropy-coded data never holds ``FF D9``, so a file cut short in its image data has no
    end marker after the start of scan; bytes after the end marker (cameras add some) and
    a thumbnail's own markers (inside a segment, skipped whole) do not matter.
    """
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before the marker
            position += 1
        elif marker == 0xDA:  # start of scan: the image data follows
            return data.find(b"\xff\xd9", position + 2) != -1
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return False


def _gif_complete(data: bytes) -> bool:
    """It ends with the trailer ``;`` (padding zeros aside)."""
    return data.rstrip(b"\x00").endswith(b";")


def _webp_complete(data: bytes) -> bool:
    """It holds all the bytes its RIFF header declares."""
    return int.from_bytes(data[4:8], "little") + 8 <= len(data)


_COMPLETE = {
    "image/png": _png_complete,
    "image/jpeg": _jpeg_complete,
    "image/gif": _gif_complete,
    "image/webp": _webp_complete,
}


def pixel_size(data: bytes, mime_type: str) -> tuple[int, int] | None:
    """(width, height) read from the header of an image of ``mime_type``, None if unreadable."""
    if mime_type == "image/png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if mime_type == "image/gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if mime_type == "image/jpeg":
        return _jpeg_size(data)
    if mime_type == "image/webp":
        return _webp_size(data)
    return None


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


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a WebP's first chunk (lossy ``VP8 ``, lossless ``VP8L``, ``VP8X``)."""
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def check_images(images: Sequence[Image], rules: ImageRules) -> None:
    """Raise :class:`PermanentError` saying what to fix if ``rules``' platform would refuse
    ``images`` (one post's), else return: the one rule set for planning and publishing."""
    if len(images) > rules.max_images:
        raise PermanentError(
            f"{rules.platform} takes at most {rules.max_images} "
            f"image{'s' if rules.max_images > 1 else ''} per post; this post has {len(images)}: "
            "move some to another post"
        )
    for image in images:
        check_image(image, rules)
    if rules.gif_alone and len(images) > 1 and any(i.mime_type == "image/gif" for i in images):
        raise PermanentError(
            f"{rules.platform} takes a GIF only on its own: put it in a post without other images"
        )


def check_image(image: Image, rules: ImageRules) -> None:
    """Raise :class:`PermanentError` saying what to fix if ``rules``' platform refuses ``image``."""
    source, mime_type = image.source, image.mime_type
    if mime_type is None:
        raise PermanentError(_not_an_image(image, rules))
    if mime_type not in rules.max_bytes:
        raise PermanentError(
            f"image {source} is a {IMAGE_FORMATS[mime_type]} file; {rules.platform} takes "
            f"{rules.accepted}: convert it"
        )
    limit = rules.max_bytes[mime_type]
    size = len(image.data)
    if limit is not None and size > limit:
        kind = (
            f" for a {IMAGE_FORMATS[mime_type]}" if len(set(rules.max_bytes.values())) > 1 else ""
        )
        raise PermanentError(
            f"image {source} is {_amount(size, limit)}; {rules.platform} takes at most "
            f"{_amount(limit, limit, exact=True)}{kind}: resize or compress it"
        )
    if rules.max_pixels is not None:
        _check_pixels(image, mime_type, rules.max_pixels, rules.platform)
    if not image.alt.strip():
        raise PermanentError(
            f"image {source} has no alt text; describe it for people who cannot see it"
        )
    if rules.max_alt is not None and len(image.alt) > rules.max_alt:
        raise PermanentError(
            f"alt text of image {source} has {len(image.alt)} characters; {rules.platform} "
            f"takes at most {rules.max_alt}: shorten it"
        )


def _check_pixels(image: Image, mime_type: str, max_pixels: int, platform: str) -> None:
    size = pixel_size(image.data, mime_type)
    if size is None or 0 in size:
        raise PermanentError(f"image {image.source}: the header is broken; re-export the image")
    width, height = size
    if width * height >= max_pixels:
        raise PermanentError(
            f"image {image.source}: {width}x{height} is {width * height:,} pixels; {platform} "
            f"takes fewer than {max_pixels:,}, so scale the image down"
        )


def _not_an_image(image: Image, rules: ImageRules) -> str:
    """Why ``image`` is refused: another format, a damaged file, or not an image at all."""
    data, name = image.data, image.name
    for signature, fmt in _OTHER_FORMATS.items():
        if data.lstrip()[: len(signature)] == signature:
            return (
                f"image {image.source} is a {fmt} file; {rules.platform} takes "
                f"{rules.accepted}: convert it"
            )
    claimed = _CLAIMED.get(name[name.rfind(".") :].lower()) if "." in name else None
    if claimed:
        return (
            f"image {name} is not a valid {claimed} file (empty, damaged or cut short); "
            "export it again"
        )
    return f"{name} is not an image {rules.platform} takes ({rules.accepted})"


def _amount(size: int, limit: int, *, exact: bool = False) -> str:
    """``size`` in the unit the platform states ``limit`` in: whole MB, else bytes."""
    if limit % MB:
        return f"{size:,} bytes"
    return f"{size // MB} MB" if exact else f"{size / MB:.1f} MB"
