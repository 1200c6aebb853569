"""Images for X: checked on disk before anything is sent, then uploaded through API v2.

X takes JPEG, PNG, WEBP and GIF images, at most 5 MB (15 MB for a GIF), up to four per post
or one GIF alone, with alt text of at most 1,000 characters. :func:`load_images` checks all of
that from the file's bytes (not its name) and says what is wrong; :func:`upload` sends one
image with ``POST /2/media/upload`` and its alt text with ``POST /2/media/metadata/create``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from campaign.adapters.base import MediaItem
from campaign.errors import PermanentError, RetryableError

MB = 1024 * 1024
IMAGE_MAX_BYTES = 5 * MB
GIF_MAX_BYTES = 15 * MB
ALT_MAX_CHARS = 1000
ACCEPTED = "JPEG, PNG, WEBP or GIF"
UPLOAD_PATH = "/2/media/upload"
METADATA_PATH = "/2/media/metadata/create"
# How many times to ask whether X has finished processing an upload (GIFs are processed
# asynchronously); X says how long to wait between asks.
MAX_STATUS_CHECKS = 20

# Formats people try that X does not take, to name them in the error.
_OTHER_FORMATS = {
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"%PDF": "PDF",
    b"<svg": "SVG",
    b"<?xml": "SVG/XML",
}
_CLAIMED = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".gif": "GIF"}

# `call(method, path, action, **requests_kwargs)` sends one signed request to X and returns
# its JSON body, raising the mapped campaign error on failure.
Call = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Image:
    """An image read from disk and found acceptable to X."""

    name: str
    data: bytes
    mime_type: str
    alt: str

    @property
    def category(self) -> str:
        """X's media category: GIFs are processed (animated) differently from stills."""
        return "tweet_gif" if self.mime_type == "image/gif" else "tweet_image"


def load_images(items: Sequence[MediaItem], max_media: int = 4) -> list[Image]:
    """Read and check every image of a post; raise :class:`PermanentError` on the first problem.

    Checked: the file exists and is readable, is a complete JPEG/PNG/WEBP/GIF, is within the
    size limit, has alt text within X's limit; and the post has at most ``max_media`` images,
    or a single GIF.
    """
    if len(items) > max_media:
        raise PermanentError(
            f"X takes at most {max_media} images per post; this post has "
            f"{len(items)}: move some to another part of the thread"
        )
    images = [load_image(item) for item in items]
    if len(images) > 1 and any(image.mime_type == "image/gif" for image in images):
        raise PermanentError("X takes a GIF only on its own: put it in a post without other images")
    return images


def load_image(item: MediaItem) -> Image:
    """Read ``item`` and check it is an image X accepts; raise :class:`PermanentError` if not."""
    path = item.path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PermanentError(
            f"image not found: {path}; check the path in the campaign file"
        ) from None
    except OSError as exc:
        raise PermanentError(
            f"cannot read image {path} ({exc.strerror or exc}); check the file's permissions"
        ) from None
    mime_type = sniff(data)
    if mime_type is None:
        raise PermanentError(_not_an_image(path.name, data))
    limit = GIF_MAX_BYTES if mime_type == "image/gif" else IMAGE_MAX_BYTES
    if len(data) > limit:
        raise PermanentError(
            f"image {path} is {len(data) / MB:.1f} MB; X takes at most "
            f"{limit // MB} MB for a {_kind(mime_type)}: resize or compress it"
        )
    if not item.alt.strip():
        raise PermanentError(
            f"image {path} has no alt text; describe it for people who cannot see it"
        )
    if len(item.alt) > ALT_MAX_CHARS:
        raise PermanentError(
            f"alt text of image {path} has {len(item.alt)} characters; X "
            f"takes at most {ALT_MAX_CHARS}: shorten it"
        )
    return Image(name=path.name, data=data, mime_type=mime_type, alt=item.alt)


def sniff(data: bytes) -> str | None:
    """The MIME type of a complete JPEG, PNG, WEBP or GIF in ``data``, else None.

    Truncated PNG, GIF and WEBP files are caught by their end markers and sizes; JPEG only by
    its start marker, since valid JPEGs often carry bytes after their end marker.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        complete = data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"
        return "image/png" if complete else None
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif" if data.rstrip(b"\x00").endswith(b";") else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        return "image/webp" if declared <= len(data) else None
    return None


def upload(call: Call, image: Image, sleep: Callable[[float], None]) -> str:
    """Upload ``image`` with its alt text and return X's media id, ready to attach."""
    action = f"upload image {image.name}"
    body = call(
        "POST",
        UPLOAD_PATH,
        action,
        files={"media": (image.name, image.data, image.mime_type)},
        data={"media_category": image.category, "media_type": image.mime_type},
    )
    media = body.get("data") or {}
    media_id = str(media.get("id") or "")
    if not media_id:
        raise PermanentError(
            f"X accepted image {image.name} but returned no media id; "
            "try again, and report it if it persists"
        )
    _wait_until_processed(call, media_id, media, image.name, sleep)
    call(
        "POST",
        METADATA_PATH,
        f"set the alt text of image {image.name}",
        json={"media_id": media_id, "alt_text": {"text": image.alt}},
    )
    return media_id


def _wait_until_processed(
    call: Call, media_id: str, media: dict[str, Any], name: str, sleep: Callable[[float], None]
) -> None:
    """Poll X's upload status while it processes the media (GIFs); stills return at once."""
    for _ in range(MAX_STATUS_CHECKS):
        info = media.get("processing_info") or {}
        state = info.get("state")
        if state in (None, "succeeded"):
            return
        if state == "failed":
            reason = (info.get("error") or {}).get("message") or "no reason given"
            raise PermanentError(
                f"X could not process image {name} ({reason}); re-export it or use another image"
            )
        sleep(float(info.get("check_after_secs", 1)))
        body = call(
            "GET",
            UPLOAD_PATH,
            f"check processing of image {name}",
            params={"command": "STATUS", "media_id": media_id},
        )
        media = body.get("data") or {}
    raise RetryableError(f"X is still processing image {name}; it will be tried again later")


def _not_an_image(name: str, data: bytes) -> str:
    """Why ``data`` is not acceptable: another format, a damaged file, or not an image."""
    for signature, fmt in _OTHER_FORMATS.items():
        if data.lstrip()[: len(signature)] == signature:
            return f"image {name} is a {fmt} file; X takes {ACCEPTED}: convert it"
    claimed = _CLAIMED.get(name[name.rfind(".") :].lower()) if "." in name else None
    if claimed:
        return (
            f"image {name} is not a valid {claimed} file (empty, damaged or cut short); "
            "export it again"
        )
    return f"{name} is not an image X takes ({ACCEPTED})"


def _kind(mime_type: str) -> str:
    return "GIF" if mime_type == "image/gif" else "still image"
