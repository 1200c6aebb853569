"""Images for X, uploaded through API v2 once the adapter has checked them
(:mod:`campaign.platforms.twitter` has X's rules).

:func:`upload` sends a still image of up to 5 MB in one request (``POST /2/media/upload``);
a GIF, or any larger image, goes in segments: ``POST /2/media/upload/initialize``,
``POST /2/media/upload/{id}/append`` once per segment, ``POST /2/media/upload/{id}/finalize``,
then ``GET /2/media/upload?command=STATUS&media_id=…`` as X's ``processing_info`` asks
(waiting ``check_after_secs`` between asks) until processing succeeds or fails. A failure in
processing is permanent and names the file. When an answer is lost or X fails mid-upload, the
upload is started again from the beginning (a half-sent session is never reused), and the post
is never sent without its image. The alt text then goes with ``POST /2/media/metadata``; the
path X launched with in 2025, ``POST /2/media/metadata/create``, is tried only if that one
answers 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from campaign.adapters._x_errors import NotFound
from campaign.errors import PermanentError, RetryableError
from campaign.platforms.images import MB, Image

log = logging.getLogger(__name__)

UPLOAD_PATH = "/2/media/upload"  # one-request upload, and the STATUS poll
INITIALIZE_PATH = "/2/media/upload/initialize"
APPEND_PATH = "/2/media/upload/{id}/append"
FINALIZE_PATH = "/2/media/upload/{id}/finalize"
METADATA_PATH = "/2/media/metadata"
LEGACY_METADATA_PATH = "/2/media/metadata/create"

SIMPLE_UPLOAD_MAX = 5 * MB  # X's one-request upload takes images up to this size
SEGMENT_BYTES = 4 * MB  # each APPEND carries at most this (X takes up to 5 MB a segment)
UPLOAD_ATTEMPTS = 3  # a segmented upload is started again this often after a lost answer
MAX_PROCESSING_WAIT = 300.0  # seconds of check_after_secs to wait before trying later


# `call(method, path, action, **requests_kwargs)` sends one signed request to X and returns
# its JSON body (empty for an empty answer), raising the mapped campaign error on failure
# and :class:`NotFound` for a 404.
Call = Callable[..., dict[str, Any]]
Sleep = Callable[[float], None]


def _category(image: Image) -> str:
    """X's media category: GIFs are processed (animated) differently from stills."""
    return "tweet_gif" if image.media_type == "image/gif" else "tweet_image"


def segmented(image: Image) -> bool:
    """Whether ``image`` goes in segments: every GIF, and anything over the simple size."""
    return image.media_type == "image/gif" or len(image.data) > SIMPLE_UPLOAD_MAX


def upload(call: Call, image: Image, sleep: Sleep) -> str:
    """Upload ``image`` with its alt text and return X's media id, ready to attach.

    Raises :class:`PermanentError` when X refuses the image or fails to process it (naming
    the file), :class:`~campaign.errors.RateLimited`, or :class:`RetryableError` when the
    upload could not be completed even after starting it again.
    """
    media_id = _segmented_upload(call, image, sleep) if segmented(image) else _simple(call, image)
    _describe(call, media_id, image)
    return media_id


def _media_id(body: dict[str, Any], name: str) -> str:
    """The media id in X's answer about image ``name``."""
    media_id = str((body.get("data") or {}).get("id") or "")
    if not media_id:
        raise PermanentError(
            f"X accepted image {name} but returned no media id; "
            "try again, and report it if it persists"
        )
    return media_id


def _simple(call: Call, image: Image) -> str:
    """Send a still image in one request; X answers with its id at once."""
    body = call(
        "POST",
        UPLOAD_PATH,
        f"upload image {image.name}",
        files={"media": (image.name, image.data, image.media_type)},
        data={"media_category": _category(image), "media_type": image.media_type},
    )
    return _media_id(body, image.name)


class StillProcessing(RetryableError):
    """X had not finished processing an upload after :data:`MAX_PROCESSING_WAIT` seconds."""


def _segmented_upload(call: Call, image: Image, sleep: Sleep) -> str:
    """Run a segmented upload of ``image``, starting it again from the beginning after a lost
    answer or a server error (at most :data:`UPLOAD_ATTEMPTS` sessions in all). A rate limit
    or a refusal ends it at once."""
    for _ in range(UPLOAD_ATTEMPTS - 1):
        try:
            return _session(call, image, sleep)
        except StillProcessing:
            raise  # waited long enough in the lane: the publisher tries the post again later
        except RetryableError as exc:
            log.info("starting the upload of %s again: %s", image.name, exc)
    return _session(call, image, sleep)


def _session(call: Call, image: Image, sleep: Sleep) -> str:
    """One upload session: initialize, append every segment, finalize, wait for processing."""
    name = image.name
    media_id = _media_id(
        call(
            "POST",
            INITIALIZE_PATH,
            f"start uploading image {name}",
            json={
                "media_type": image.media_type,
                "total_bytes": len(image.data),
                "media_category": _category(image),
            },
        ),
        name,
    )
    for index, start in enumerate(range(0, len(image.data), SEGMENT_BYTES)):
        call(
            "POST",
            APPEND_PATH.format(id=media_id),
            f"upload part {index + 1} of image {name}",
            files={"media": (name, image.data[start : start + SEGMENT_BYTES], image.media_type)},
            data={"segment_index": str(index)},
        )
    body = call("POST", FINALIZE_PATH.format(id=media_id), f"finish uploading image {name}")
    _wait_until_processed(call, media_id, body.get("data") or {}, name, sleep)
    return media_id


def _wait_until_processed(
    call: Call, media_id: str, media: dict[str, Any], name: str, sleep: Sleep
) -> None:
    """Ask X how processing goes, as often as its ``check_after_secs`` says, until it ends.

    ``pending`` and ``in_progress`` wait; ``succeeded`` (or no ``processing_info``: nothing to
    process) returns; ``failed`` is permanent, quoting X's reason. After
    :data:`MAX_PROCESSING_WAIT` seconds of waiting the post is tried again later.
    """
    waited = 0.0
    while True:
        info = media.get("processing_info") or {}
        state = info.get("state")
        if state in (None, "succeeded"):
            return
        if state == "failed":
            error = info.get("error") or {}
            reason = error.get("message") or error.get("name") or "no reason given"
            raise PermanentError(
                f"X could not process image {name} ({reason}); re-export it or use another image"
            )
        if waited >= MAX_PROCESSING_WAIT:
            raise StillProcessing(
                f"X was still processing image {name} after {waited:.0f} s; trying again later"
            )
        delay = max(float(info.get("check_after_secs") or 1), 1.0)
        sleep(delay)
        waited += delay
        body = call(
            "GET",
            UPLOAD_PATH,
            f"check processing of image {name}",
            params={"command": "STATUS", "media_id": media_id},
        )
        media = body.get("data") or {}


def _describe(call: Call, media_id: str, image: Image) -> None:
    """Set the alt text of ``media_id``: the current path, else the one X launched with."""
    action = f"set the alt text of image {image.name}"
    alt = {"text": image.alt}
    try:
        call("POST", METADATA_PATH, action, json={"id": media_id, "metadata": {"alt_text": alt}})
    except NotFound:
        call("POST", LEGACY_METADATA_PATH, action, json={"media_id": media_id, "alt_text": alt})
