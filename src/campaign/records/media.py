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
_ENDINGS = {"image/png": b"IEND\xaeB`\x82", "image/jpeg": b"\xff\xd9", "image/gif": b";"}


class MediaProblem(ValueError):
    """An image that cannot be posted; the message says why and what to do."""


def sniff(data: bytes) -> str | None:
    """The image type of ``data`` from its first bytes, or ``None`` if it is no image we know."""
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


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
    mime = sniff(data)
    if mime is None:
        raise MediaProblem(
            f"{path.name} is not a PNG, JPEG, GIF or WebP image; export it as PNG or JPEG"
        )
    ending = _ENDINGS.get(mime)
    if ending and not data.rstrip(b"\0").endswith(ending):
        raise MediaProblem(
            f"{path.name} is a broken {mime} file (it is cut short); export it again"
        )
    return MediaItem(path=path, alt=alt, mime_type=mime)
