"""Bluesky: 300 graphemes, threads, up to four JPEG, PNG, WebP or GIF images of at most
1,000,000 bytes each (the blob limit), alt text without a stated limit."""

from __future__ import annotations

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import ImageRules
from campaign.platforms.length import graphemes

IMAGES = ImageRules(
    platform="Bluesky",
    max_bytes=dict.fromkeys(("image/jpeg", "image/png", "image/webp", "image/gif"), 1_000_000),
    max_alt=None,
    max_images=4,
)

SPEC = PlatformSpec(
    name="bluesky",
    title="Bluesky",
    limit=300,
    unit="graphemes",
    count=graphemes,
    images=IMAGES,
    threads=True,
)
