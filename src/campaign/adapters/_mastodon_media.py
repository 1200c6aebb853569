"""Images for Mastodon: checked on disk before anything is sent, then uploaded with alt text.

Mastodon takes JPEG, PNG, GIF and WebP images of up to 16 MB (an instance may set less), up to
four per status, with a description (alt text) of at most 1,500 characters. ``POST
/api/v2/media`` answers 200 with the image's ``url`` when it processed it at once, or 202 with
``url: null`` when it processes it in the background; the status may only be posted once
``GET /api/v1/media/:id`` shows a ``url``, so :func:`upload` asks again until it does.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from mastodon import Mastodon

from campaign.adapters._mastodon_errors import mastodon_errors
from campaign.errors import RetryableError
from campaign.platforms.images import Image

# Asking whether a background upload is processed: every CHECK_SECONDS, at most MAX_CHECKS
# times (a minute), after which the post is retried later rather than holding the daemon.
CHECK_SECONDS = 2.0
MAX_CHECKS = 30


def upload(api: Mastodon, image: Image, sleep: Callable[[float], None]) -> str:
    """Upload ``image`` with its alt text, wait until it is processed, and return its id.

    Raises :class:`RetryableError` when the instance is still processing it after
    ``MAX_CHECKS`` checks, and the mapped campaign error when the instance refuses it.
    """
    action = f"upload image {image.name}"
    with mastodon_errors(api, action):
        media = api.media_post(
            io.BytesIO(image.data),
            mime_type=image.media_type,
            description=image.alt,
            file_name=image.name,
        )
        checks = 0
        while not media.get("url"):
            if checks == MAX_CHECKS:
                raise RetryableError(
                    f"Mastodon is still processing image {image.name} after "
                    f"{MAX_CHECKS * CHECK_SECONDS:.0f} s"
                )
            sleep(CHECK_SECONDS)
            media = api.media(media["id"])
            checks += 1
    return str(media["id"])
