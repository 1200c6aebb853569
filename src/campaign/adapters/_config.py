"""Adapter settings: credentials from the environment or ``.env``, or from an explicit mapping.

Each adapter subclasses :class:`AdapterSettings` with its own ``env_prefix`` and fields.
Credentials are ``SecretStr | None = None`` so that :meth:`AdapterSettings.require` can name
every missing variable at once, before any request is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Self

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from campaign.errors import ConfigurationError
from campaign.settings import ENV_FILE

# Set while building settings from an explicit mapping, so the process environment and .env
# are not consulted (tests and `connect(env)` pass exactly the variables they mean).
_ONLY_GIVEN: ContextVar[bool] = ContextVar("only_given", default=False)


class AdapterSettings(BaseSettings):
    """Base of every adapter's settings; subclasses set ``env_prefix`` and declare fields."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the given values when loading from a mapping; else the usual sources."""
        if _ONLY_GIVEN.get():
            return (init_settings,)
        return (init_settings, env_settings, dotenv_settings, file_secret_settings)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets ``field``, e.g. ``CAMPAIGN_TWITTER_API_KEY``."""
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Self:
        """Settings from ``env`` exactly, or from the process environment and ``.env`` if None.

        Raises :class:`ConfigurationError` when a value is malformed (e.g. not a URL).
        """
        try:
            if env is None:
                return cls()
            values = {f: env[cls.variable(f)] for f in cls.model_fields if cls.variable(f) in env}
            token = _ONLY_GIVEN.set(True)
            try:
                return cls(**values)
            finally:
                _ONLY_GIVEN.reset(token)
        except ValidationError as exc:
            # Name the variable and the problem only: the rejected input may be a secret.
            problems = "; ".join(
                f"{cls.variable(str(error['loc'][0]))}: {error['msg']}" for error in exc.errors()
            )
            raise ConfigurationError(f"invalid settings: {problems}") from None

    def require(self, title: str) -> None:
        """Raise :class:`ConfigurationError` naming every unset credential of ``title``."""
        missing = [
            self.variable(name)
            for name, value in self
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value())
        ]
        if missing:
            raise ConfigurationError(
                f"{title} is not configured: set {', '.join(missing)} "
                f"in the environment or in {ENV_FILE}"
            )
