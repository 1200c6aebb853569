"""Images attached to announcements: read from the campaign's folder, really an image, and
complete. Whether a platform takes them is :mod:`campaign.platforms.images`' judgement."""

from __future__ import annotations

from pathlib import Path

from campaign.platforms.images import Image, image_type, is_complete
from campaign.records.files import MAX_IMAGE_BYTES, FileProblem, read_regular


class MediaProblem(ValueError):
    """An image that cannot be posted; the message says why and what to do."""


def load_media(path: Path, alt: str) -> Image:
    """Read the image at ``path`` into an :class:`Image` carrying its bytes and ``alt``.

    Raises :class:`MediaProblem` when the file is missing, unreadable, not a regular file,
    over :data:`~campaign.records.files.MAX_IMAGE_BYTES`, not a PNG, JPEG, GIF or WebP
    image, or cut short (a broken download or copy).
    """
    try:
        data = read_regular(path, MAX_IMAGE_BYTES, "image")
    except FileNotFoundError:
        raise MediaProblem(f"the image {path} does not exist; check the path") from None
    except FileProblem as exc:
        raise MediaProblem(str(exc)) from None
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
