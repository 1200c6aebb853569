"""Overrides of the platforms' published quotas and X's prices, from the environment or
``.env``: ``CAMPAIGN_QUOTA_<KEY>`` (e.g. ``CAMPAIGN_QUOTA_TWITTER_15M=50``) and
``CAMPAIGN_X_PRICE_POST``, ``CAMPAIGN_X_PRICE_POST_WITH_URL``, ``CAMPAIGN_X_PRICE_MEDIA``.

Unset, each is the platform's published figure (:mod:`campaign.platforms.quotas`,
:mod:`campaign.platforms.prices`).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaign.errors import ConfigurationError
from campaign.platforms.prices import X_PRICES, PriceTable
from campaign.platforms.quotas import QUOTAS, Quota, quotas
from campaign.settings import ENV_FILE, invalid_settings

_Limit = Field(default=None, gt=0)
_Price = Field(default=None, ge=0)


class PlanSettings(BaseSettings):
    """What planning checks a campaign against besides its files: quotas and prices."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPAIGN_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    quota_twitter_15m: int | None = _Limit
    quota_twitter_24h: int | None = _Limit
    quota_bluesky_1h: int | None = _Limit
    quota_bluesky_24h: int | None = _Limit
    quota_mastodon_3h: int | None = _Limit
    quota_linkedin_24h: int | None = _Limit
    x_price_post: Decimal | None = _Price
    x_price_post_with_url: Decimal | None = _Price
    x_price_media: Decimal | None = _Price

    @classmethod
    def load(cls) -> PlanSettings:
        """The settings from the environment and ``.env``.

        Raises :class:`ConfigurationError` naming each malformed ``CAMPAIGN_*`` variable.
        """
        try:
            return cls()
        except ValidationError as exc:
            raise ConfigurationError(invalid_settings(exc)) from None

    def quotas(self) -> tuple[Quota, ...]:
        """Every platform's quotas, with the limits these settings override."""
        return quotas({quota.key: getattr(self, f"quota_{quota.key}") for quota in QUOTAS})

    def x_prices(self) -> PriceTable:
        """X's prices, with those these settings override."""
        given = {
            name: value
            for name in ("post", "post_with_url", "media")
            if (value := getattr(self, f"x_price_{name}")) is not None
        }
        return replace(X_PRICES, **given, as_of="set in CAMPAIGN_X_PRICE_*") if given else X_PRICES
