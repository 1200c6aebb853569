"""Images attached to announcements: found, readable, really an image, and described."""

from __future__ import annotations

from pathlib import Path

from campaign.adapters.base import MediaItem

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class MediaProblem(ValueError):
    """An image that cannot be posted; the message says why and what to do."""


def image_type(data: bytes) -> str | None:
    """The image type ``data`` begins as, from its first bytes, or ``None`` if none we know."""
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff(data: bytes) -> str | None:
    """The MIME type of a complete PNG, JPEG, GIF or WebP image in ``data``, else ``None``.

    Planning and every adapter judge images by this one function, so an image a preview
    accepts is one the adapters upload.
    """
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


def load_media(path: Path, alt: str) -> MediaItem:
    """Check the image at ``path`` and describe it as a :class:`MediaItem`.

    Raises :class:`MediaProblem` when the file is missing, unreadable, not a PNG, JPEG, GIF
    or WebP image, or cut short (a broken download or copy).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MediaProblem(f"the image {path} does not exist; check the path") from None
    except OSError as exc:
        raise MediaProblem(f"the image {path} cannot be read ({exc.strerror})") from None
    mime = image_type(data)
    if mime is None:
        raise MediaProblem(
            f"{path.name} is not a PNG, JPEG, GIF or WebP image; export it as PNG or JPEG"
        )
    if not is_complete(data, mime):
        raise MediaProblem(
            f"{path.name} is a broken {mime} file (it is cut short); export it again"
        )
    return MediaItem(path=path, alt=alt, mime_type=mime)
