"""LinkedIn: 3,000 characters, no threads (a thread is joined into one post), one JPEG, PNG or
GIF image of fewer than 36,152,320 pixels (width x height), alt text up to 4,086 characters
(the Images API's rules)."""

from __future__ import annotations

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import ImageRules
from campaign.platforms.length import characters

MAX_PIXELS = 36_152_320

IMAGES = ImageRules(
    platform="LinkedIn",
    max_bytes=dict.fromkeys(("image/jpeg", "image/png", "image/gif"), None),
    max_alt=4086,
    max_images=1,
    max_pixels=MAX_PIXELS,
)

SPEC = PlatformSpec(
    name="linkedin",
    title="LinkedIn",
    limit=3000,
    unit="characters",
    count=characters,
    images=IMAGES,
    threads=False,
)
