"""Mastodon: 500 characters (URLs count 23, remote mentions as local), threads, up to four
JPEG, PNG, GIF or WebP images of 16 MB, alt text up to 1,500 (an instance may set less)."""

from __future__ import annotations

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import MB, ImageRules
from campaign.platforms.length import mastodon_length

IMAGES = ImageRules(
    platform="Mastodon",
    max_bytes=dict.fromkeys(("image/jpeg", "image/png", "image/gif", "image/webp"), 16 * MB),
    max_alt=1500,
    max_images=4,
)

SPEC = PlatformSpec(
    name="mastodon",
    title="Mastodon",
    limit=500,
    unit="characters (URLs count 23)",
    count=mastodon_length,
    images=IMAGES,
    threads=True,
)
