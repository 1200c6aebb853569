"""Settings from the environment (``CAMPAIGN_*``) or a git-ignored ``.env`` file.

Each platform adapter has its own settings class with its own prefix
(``CAMPAIGN_TWITTER_…``); this module holds what the whole tool shares.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"


def default_database_url() -> str:
    """SQLite in the user's data folder: ``$XDG_DATA_HOME/campaign/campaign.db``."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{data_home / 'campaign' / 'campaign.db'}"


def invalid_settings(exc: ValidationError) -> str:
    """What is wrong in settings that failed to load: each ``CAMPAIGN_*`` variable and why."""
    problems = "; ".join(f"CAMPAIGN_{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors())
    return f"invalid settings: {problems}"


class Settings(BaseSettings):
    """What every command shares: where the ledger lives and how the daemon behaves."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPAIGN_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    database_url: str = ""
    grace_minutes: float = 15.0
    poll_seconds: float = 5.0
    max_attempts: int = 5

    def ledger_url(self) -> str:
        """The SQLAlchemy URL of the ledger, falling back to the documented SQLite path."""
        return self.database_url or default_database_url()
