"""LinkedIn: posts as a company page or a member through the Posts API (``/rest/posts``).

Settings (environment or ``.env``):

``CAMPAIGN_LINKEDIN_ACCESS_TOKEN`` (required, secret)
    OAuth 2.0 access token with ``w_organization_social`` (page) or ``w_member_social``
    (member): that is all publishing needs. ``r_organization_admin`` as well lets the check
    confirm the member's role on the page (``GET /rest/organizationAcls?q=roleAssignee``) and
    name it, ``openid profile`` lets it confirm the member, and ``r_organization_social`` lets
    look-back read a page's posts; a read refused for a missing scope is a notice naming the
    scope, never a reason to hold posts back. Tokens last 60 days.
``CAMPAIGN_LINKEDIN_AUTHOR`` (required)
    Who posts: ``urn:li:organization:<id>`` for a page the token's member administers, or
    ``urn:li:person:<id>`` for that member.
``CAMPAIGN_LINKEDIN_VERSION`` (default ``202605``)
    The ``LinkedIn-Version`` header (YYYYMM). LinkedIn serves each monthly version for about a
    year, then answers 426; ``campaign accounts check``, ``campaign status`` and the daemon
    warn from 30 days before the retirement (:data:`campaign.platforms.linkedin.
    VERSION_RETIREMENTS`), naming a newer version to set.
``CAMPAIGN_LINKEDIN_API_URL`` (default ``https://api.linkedin.com``)
    Base URL of the API; tests point it at a fake server.
``CAMPAIGN_LINKEDIN_TIMEOUT_SECONDS`` (default ``30``)
    Seconds to wait for LinkedIn to connect and to answer each request.

How it publishes: an image is first registered with the Images API
(``POST /rest/images?action=initializeUpload``) and its bytes ``PUT`` to the upload URL
LinkedIn returns; then ``POST /rest/posts`` creates a public main-feed post whose
``commentary`` is the text in LinkedIn's little text format (see :mod:`._linkedin_text`:
reserved characters escaped, ``#tags`` as hashtag templates) with the image and its alt text
as ``content.media``. LinkedIn answers 201 with the post's URN in ``x-restli-id``; its public
address is ``https://www.linkedin.com/feed/update/<urn>/``.

LinkedIn has no threads (``SPEC.threads`` is False): the planner joins a thread template's
parts into one post, and the adapter refuses a part that replies to another. A post may carry
one JPEG, PNG or GIF image of fewer than 36,152,320 pixels, with at most 4,086 characters of
alt text; the file is checked before anything is sent. ``@name`` is published as plain text
(a LinkedIn mention needs a URN).

LinkedIn refuses a post identical to a recent one ("Content is a duplicate of
urn:li:share:…"); the adapter then returns a receipt of that existing post, since it is most
likely an earlier attempt of the same post whose answer was lost.

Look-back is not reliable: it reads the author's 20 most recent posts (``GET /rest/posts``
author finder) and matches the commentary exactly, so a post pushed further down, or a token
without ``r_organization_social`` / the restricted ``r_member_social``, cannot find it.

Errors: 401 (token expired or revoked) and 403 (missing scope or page role) are permanent
with the fix in the message; 426 means the configured version is retired; 429 waits for
``Retry-After`` or else the next midnight UTC (LinkedIn sends no reset time and its daily
limits reset then); 5xx and connection failures before the post was sent are retryable; a
timeout, a dropped connection or a 504 after the post was sent is an unknown outcome.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from campaign.adapters._config import AdapterSettings
from campaign.platforms.linkedin import VERSION_WARNING, recent_version, retirement

DEFAULT_VERSION = "202605"
DEFAULT_API_URL = "https://api.linkedin.com"

_AUTHOR = re.compile(r"urn:li:(organization|person):[\w-]+")
_VERSION = re.compile(r"20\d\d(0[1-9]|1[0-2])(\.\d{2})?")


class LinkedInSettings(AdapterSettings):
    """The ``CAMPAIGN_LINKEDIN_*`` settings (module docstring); credentials None until set."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_LINKEDIN_")

    access_token: SecretStr | None = None
    author: str | None = None
    version: str = DEFAULT_VERSION
    api_url: str = DEFAULT_API_URL
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("author")
    @classmethod
    def _author_urn(cls, value: str | None) -> str | None:
        if value is not None and not _AUTHOR.fullmatch(value.strip()):
            raise ValueError(
                "must be urn:li:organization:<id> for a page or urn:li:person:<id> for a member"
            )
        return value.strip() if value else value

    @field_validator("version")
    @classmethod
    def _yyyymm(cls, value: str) -> str:
        if not _VERSION.fullmatch(value.strip()):
            raise ValueError(f"must be a LinkedIn API version as YYYYMM, e.g. {DEFAULT_VERSION}")
        return value.strip()

    def notices(self, today: date) -> list[str]:
        """What to warn of on ``today`` without asking LinkedIn: the configured version near
        (30 days) or past its retirement. Nothing when LinkedIn is not configured."""
        if self.access_token is None:
            return []
        retires = retirement(self.version)
        move = (
            f"set {self.variable('version')} to a newer version such as "
            f"{recent_version(today)} (see 'Moving to a newer LinkedIn version' in the README)"
        )
        if today >= retires:
            return [
                f"LinkedIn-Version {self.version} was retired on {retires:%Y-%m-%d} and LinkedIn "
                f"answers 426 to it: {move}"
            ]
        if today >= retires - VERSION_WARNING:
            return [
                f"LinkedIn-Version {self.version} retires on {retires:%Y-%m-%d}, in "
                f"{(retires - today).days} days: {move}"
            ]
        return []

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL such as {DEFAULT_API_URL}")
        return value.rstrip("/")
