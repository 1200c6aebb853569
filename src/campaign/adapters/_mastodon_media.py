"""Images for Mastodon: checked on disk before anything is sent, then uploaded with alt text.

Mastodon takes JPEG, PNG, GIF and WebP images of up to 16 MB (an instance may set less), up to
four per status, with a description (alt text) of at most 1,500 characters. ``POST
/api/v2/media`` answers 200 with the image's ``url`` when it processed it at once, or 202 with
``url: null`` when it processes it in the background; the status may only be posted once
``GET /api/v1/media/:id`` shows a ``url``, so :func:`upload` asks again until it does.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mastodon import Mastodon

from campaign.adapters._mastodon_errors import mastodon_errors
from campaign.adapters.base import MediaItem
from campaign.errors import PermanentError, RetryableError
from campaign.records.media import MediaProblem, load_media

MB = 1024 * 1024
IMAGE_MAX_BYTES = 16 * MB
ALT_MAX_CHARS = 1500
# Asking whether a background upload is processed: every CHECK_SECONDS, at most MAX_CHECKS
# times (a minute), after which the post is retried later rather than holding the daemon.
CHECK_SECONDS = 2.0
MAX_CHECKS = 30


@dataclass(frozen=True)
class Image:
    """An image read from disk and found acceptable to Mastodon."""

    name: str
    data: bytes
    mime_type: str
    alt: str


def load_images(items: Sequence[MediaItem], max_media: int) -> list[Image]:
    """Read and check every image of a post; raise :class:`PermanentError` on the first problem.

    Checked: at most ``max_media`` images; each exists, is a complete JPEG, PNG, GIF or WebP
    within the size limit, and has alt text within Mastodon's limit.
    """
    if len(items) > max_media:
        raise PermanentError(
            f"Mastodon takes at most {max_media} images per post; this post has {len(items)}: "
            "move some to another part of the thread"
        )
    return [load_image(item) for item in items]


def load_image(item: MediaItem) -> Image:
    """Read ``item`` and check it is an image Mastodon accepts; raise PermanentError if not."""
    try:
        checked = load_media(item.path, item.alt)
    except MediaProblem as exc:
        raise PermanentError(str(exc)) from None
    data = item.path.read_bytes()
    if len(data) > IMAGE_MAX_BYTES:
        raise PermanentError(
            f"image {item.path} is {len(data) / MB:.1f} MB; Mastodon takes at most "
            f"{IMAGE_MAX_BYTES // MB} MB: resize or compress it"
        )
    if not item.alt.strip():
        raise PermanentError(
            f"image {item.path} has no alt text; describe it for people who cannot see it"
        )
    if len(item.alt) > ALT_MAX_CHARS:
        raise PermanentError(
            f"alt text of image {item.path} has {len(item.alt)} characters; Mastodon takes at "
            f"most {ALT_MAX_CHARS}: shorten it"
        )
    return Image(name=item.path.name, data=data, mime_type=checked.mime_type, alt=item.alt)


def upload(api: Mastodon, image: Image, sleep: Callable[[float], None]) -> str:
    """Upload ``image`` with its alt text, wait until it is processed, and return its id.

    Raises :class:`RetryableError` when the instance is still processing it after
    ``MAX_CHECKS`` checks, and the mapped campaign error when the instance refuses it.
    """
    action = f"upload image {image.name}"
    with mastodon_errors(api, action):
        media = api.media_post(
            io.BytesIO(image.data),
            mime_type=image.mime_type,
            description=image.alt,
            file_name=image.name,
        )
        checks = 0
        while not media.get("url"):
            if checks == MAX_CHECKS:
                raise RetryableError(
                    f"Mastodon is still processing image {image.name} after "
                    f"{MAX_CHECKS * CHECK_SECONDS:.0f} s; it will be tried again later"
                )
            sleep(CHECK_SECONDS)
            media = api.media(media["id"])
            checks += 1
    return str(media["id"])
