"""X (Twitter) adapter (placeholder: being built)."""

from __future__ import annotations

from collections.abc import Mapping

from campaign.adapters.base import Adapter, PlatformSpec
from campaign.errors import ConfigurationError
from campaign.render.length import x_weighted_length


def connect(env: Mapping[str, str] | None = None) -> Adapter:
    """Build the adapter from CAMPAIGN_TWITTER_* settings."""
    raise ConfigurationError("the X (Twitter) adapter is not built yet")


SPEC = PlatformSpec(
    name="twitter",
    title="X (Twitter)",
    limit=280,
    unit="weighted characters",
    count=x_weighted_length,
    connect=connect,
    threads=True,
    max_media=4,
)
