"""Bluesky adapter (placeholder: being built)."""

from __future__ import annotations

from collections.abc import Mapping

from campaign.adapters.base import Adapter, PlatformSpec
from campaign.errors import ConfigurationError
from campaign.render.length import graphemes


def connect(env: Mapping[str, str] | None = None) -> Adapter:
    """Build the adapter from CAMPAIGN_BLUESKY_* settings."""
    raise ConfigurationError("the Bluesky adapter is not built yet")


SPEC = PlatformSpec(
    name="bluesky",
    title="Bluesky",
    limit=300,
    unit="graphemes",
    count=graphemes,
    connect=connect,
    threads=True,
    max_media=4,
)
