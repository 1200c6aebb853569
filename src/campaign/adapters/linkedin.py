"""LinkedIn adapter (placeholder: being built)."""

from __future__ import annotations

from collections.abc import Mapping

from campaign.adapters.base import Adapter, PlatformSpec
from campaign.errors import ConfigurationError
from campaign.render.length import characters


def connect(env: Mapping[str, str] | None = None) -> Adapter:
    """Build the adapter from CAMPAIGN_LINKEDIN_* settings."""
    raise ConfigurationError("the LinkedIn adapter is not built yet")


SPEC = PlatformSpec(
    name="linkedin",
    title="LinkedIn",
    limit=3000,
    unit="characters",
    count=characters,
    connect=connect,
    threads=False,
    max_media=1,
)
