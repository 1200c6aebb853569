"""Images for X, uploaded through API v2 once the adapter has checked them
(:mod:`campaign.platforms.twitter` has X's rules): :func:`upload` sends one image with
``POST /2/media/upload`` and its alt text with ``POST /2/media/metadata/create``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from campaign.errors import PermanentError, RetryableError
from campaign.platforms.images import Image

UPLOAD_PATH = "/2/media/upload"
METADATA_PATH = "/2/media/metadata/create"
# How many times to ask whether X has finished processing an upload (GIFs are processed
# asynchronously); X says how long to wait between asks.
MAX_STATUS_CHECKS = 20

# `call(method, path, action, **requests_kwargs)` sends one signed request to X and returns
# its JSON body, raising the mapped campaign error on failure.
Call = Callable[..., dict[str, Any]]


def _category(image: Image) -> str:
    """X's media category: GIFs are processed (animated) differently from stills."""
    return "tweet_gif" if image.media_type == "image/gif" else "tweet_image"


def upload(call: Call, image: Image, sleep: Callable[[float], None]) -> str:
    """Upload ``image`` with its alt text and return X's media id, ready to attach."""
    action = f"upload image {image.name}"
    body = call(
        "POST",
        UPLOAD_PATH,
        action,
        files={"media": (image.name, image.data, image.media_type)},
        data={"media_category": _category(image), "media_type": image.media_type},
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
    raise RetryableError(f"X is still processing image {name}")
