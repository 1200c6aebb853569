"""First-party short codes: unguessable, URL-safe and derived, never stored before use.

A code is ``base64url(HMAC-SHA256(secret, post_id ␟ target))[:16]`` (96 bits). Deriving it
means ``campaign preview`` shows the final short URL without touching the network or the
database, and re-planning the same post with the same link keeps the same code. The key is
``CAMPAIGN_LINKS_SECRET`` when set, else one ``campaign schedule`` generated and keeps in the
ledger; it must stay stable, since changing it changes every code that has not been
scheduled yet (codes already in the ledger keep redirecting). Planned without a key
(``validate``, or ``preview`` before the first ``schedule``), a short URL ends in
:data:`PLACEHOLDER_CODE`, as long as a real code, so lengths are checked all the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaign.errors import ConfigurationError
from campaign.settings import ENV_FILE

CODE_LENGTH = 16
PLACEHOLDER_CODE = "not-yet-assigned"  # CODE_LENGTH characters, plainly not a code
MIN_SECRET_LENGTH = 16
_CODE = re.compile(rf"[A-Za-z0-9_-]{{{CODE_LENGTH}}}")
_KEY_ADVICE = (
    "set it to a long random value, e.g. "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it stable "
    "(changing it changes every short code), or unset it to use the ledger's own"
)


class LinkSettings(BaseSettings):
    """Settings of link tracking from the environment or ``.env`` (``CAMPAIGN_LINKS_*``)."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPAIGN_LINKS_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    secret: SecretStr | None = None


def env_link_secret() -> SecretStr | None:
    """The short-code key from ``CAMPAIGN_LINKS_SECRET``, or ``None`` when it is unset.

    Raises :class:`~campaign.errors.ConfigurationError` when it is shorter than 16
    characters (the message never contains the value).
    """
    secret = LinkSettings().secret
    if secret is None or not secret.get_secret_value().strip():
        return None
    if len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"CAMPAIGN_LINKS_SECRET is shorter than {MIN_SECRET_LENGTH} characters; {_KEY_ADVICE}"
        )
    return secret


def new_link_secret() -> SecretStr:
    """A new random short-code key, for a ledger that has none yet."""
    return SecretStr(secrets.token_urlsafe(32))


def short_code(secret: SecretStr, post_id: str, target: str) -> str:
    """The code of ``target`` as linked from post ``post_id``: 16 URL-safe characters."""
    message = f"{post_id}\x1f{target}".encode()
    digest = hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:CODE_LENGTH]


def short_url(base: str, code: str) -> str:
    """The public short URL of ``code`` under the redirector's ``base`` URL."""
    return f"{base.rstrip('/')}/{code}"


def is_code(text: str) -> bool:
    """Whether ``text`` has the exact shape of a short code (checked before any lookup)."""
    return _CODE.fullmatch(text) is not None
