"""Where alerts go and how often: the ``CAMPAIGN_ALERT_*`` and ``CAMPAIGN_SMTP_URL`` settings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaign.settings import ENV_FILE

WebhookFormat = Literal["slack", "mattermost", "teams", "json"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class AlertSettings(BaseSettings):
    """The alert settings, from the environment or ``.env``; no alert goes anywhere until a
    webhook or an e-mail address is set."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPAIGN_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    alert_webhook_url: SecretStr | None = None  # an incoming webhook's URL is its secret
    alert_webhook_format: WebhookFormat = "json"
    smtp_url: SecretStr | None = None  # smtp://user:password@host:587 or smtps://…:465
    alert_email_to: str | None = None
    alert_email_from: str = "campaign@localhost"
    alert_after: timedelta = Field(default=timedelta(minutes=10))
    alert_remind_hours: float = Field(default=4.0, gt=0)

    @field_validator("alert_after", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """``10`` (minutes), ``90s``, ``10m``, ``2h`` or ``1d``."""
        if isinstance(value, str):
            found = _DURATION.match(value)
            if not found:
                raise ValueError("use a duration such as 10m, 90s or 2h")
            number, unit = float(found.group(1)), found.group(2) or "m"
            return timedelta(seconds=number * _UNITS[unit])
        if isinstance(value, int | float):
            return timedelta(minutes=value)
        return value

    @property
    def enabled(self) -> bool:
        """Whether any alert goes anywhere."""
        return self.alert_webhook_url is not None or (
            self.smtp_url is not None and bool(self.alert_email_to)
        )

    @property
    def remind_every(self) -> timedelta:
        """How long an open problem waits before it is said again."""
        return timedelta(hours=self.alert_remind_hours)
