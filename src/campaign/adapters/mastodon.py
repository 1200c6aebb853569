"""Mastodon adapter (placeholder: being built)."""

from __future__ import annotations

from collections.abc import Mapping

from campaign.adapters.base import Adapter, PlatformSpec
from campaign.errors import ConfigurationError
from campaign.render.length import mastodon_length


def connect(env: Mapping[str, str] | None = None) -> Adapter:
    """Build the adapter from CAMPAIGN_MASTODON_* settings."""
    raise ConfigurationError("the Mastodon adapter is not built yet")


SPEC = PlatformSpec(
    name="mastodon",
    title="Mastodon",
    limit=500,
    unit="characters (URLs count 23)",
    count=mastodon_length,
    connect=connect,
    threads=True,
    max_media=4,
)
