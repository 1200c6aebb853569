"""X (Twitter): 280 weighted characters (twitter-text v3: URLs 23, CJK and emoji 2), threads,
up to four images (JPEG, PNG, WebP 5 MB; a GIF 15 MB and alone), alt text up to 1,000."""

from __future__ import annotations

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import MB, ImageRules
from campaign.platforms.length import x_weighted_length

IMAGES = ImageRules(
    platform="X",
    max_bytes={
        "image/jpeg": 5 * MB,
        "image/png": 5 * MB,
        "image/webp": 5 * MB,
        "image/gif": 15 * MB,
    },
    max_alt=1000,
    max_images=4,
    gif_alone=True,
)

SPEC = PlatformSpec(
    name="twitter",
    title="X (Twitter)",
    limit=280,
    unit="weighted characters",
    count=x_weighted_length,
    images=IMAGES,
    threads=True,
    aliases=("x",),
)
