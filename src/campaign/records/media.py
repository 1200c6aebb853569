"""Images attached to announcements: read from the campaign's folder, really an image, and
complete. Whether a platform takes them is :mod:`campaign.platforms.images`' judgement."""

from __future__ import annotations

from pathlib import Path

from campaign.platforms.images import Image, image_type, is_complete


class MediaProblem(ValueError):
    """An image that cannot be posted; the message says why and what to do."""


def load_media(path: Path, alt: str) -> Image:
    """Read the image at ``path`` into an :class:`Image` carrying its bytes and ``alt``.

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
    return Image(source=str(path), data=data, alt=alt, mime_type=mime)
