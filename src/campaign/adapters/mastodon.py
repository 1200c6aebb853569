"""Mastodon: posts, threads and images on any Mastodon instance, through Mastodon.py.

Settings, from the environment or a git-ignored ``.env``:

- ``CAMPAIGN_MASTODON_API_BASE_URL``: the instance's address, e.g. ``https://mastodon.social``
  (required; every request goes there).
- ``CAMPAIGN_MASTODON_ACCESS_TOKEN``: the account's access token (required). Create it on the
  instance under Preferences > Development > New application with the ``read``,
  ``write:statuses`` and ``write:media`` scopes, and copy "Your access token".
- ``CAMPAIGN_MASTODON_VISIBILITY``: ``public`` (default), ``unlisted``, ``private``
  (followers only) or ``direct``.
- ``CAMPAIGN_MASTODON_TIMEOUT_SECONDS``: how long to wait for the instance to connect and to
  answer each request (default 30).

How it publishes (:mod:`campaign.adapters._mastodon_adapter`): ``status_post`` with our post id
as the ``Idempotency-Key``; a thread part replies to the previous part with
``in_reply_to_id``. Images go first through ``POST /api/v2/media`` with their alt text as
``description``; an instance that processes an upload in the background (202, ``url`` null)
is asked again (``GET /api/v1/media/:id``) every few seconds for up to a minute before the
status is posted. Mastodon.py is told the instance runs Mastodon 4 or later, so it never asks
the instance for its version. Rate limits are never waited for here: the daemon gets
:class:`~campaign.errors.RateLimited` with the reset time from ``X-RateLimit-Reset``.

Mastodon keeps an ``Idempotency-Key`` for one hour: a status sent again with the same key within
the hour returns the status already made instead of a second one. So re-publishing after an
unknown outcome, or after a 5xx that a proxy sent while the instance went on working, is safe
within that hour. Look-back uses the same fact, see below.

``look_back_reliable`` is True, with this meaning: :meth:`look_back` first sends the post's key
with an empty text. Mastodon checks the key before validating anything, so it answers with the
original status if the key was used in the last hour, and with 422 "Text can't be blank"
(creating nothing) if not. Failing that, it searches the account's own statuses since the
post's scheduled time for the same text replying to the same status. It returns ``None`` only
when that proves the post absent: the post was scheduled less than 55 minutes ago, so every
attempt at it is inside the key's hour (this assumes posts are not sent before their scheduled
time). Past that, a text search that finds nothing proves nothing, and look-back raises
:class:`~campaign.errors.OutcomeUnknown` so that a person checks the account.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from campaign.adapters._config import AdapterSettings

Visibility = Literal["public", "unlisted", "private", "direct"]


class MastodonSettings(AdapterSettings):
    """The ``CAMPAIGN_MASTODON_*`` settings; the instance and token are None until set."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_MASTODON_")

    api_base_url: str | None = None
    access_token: SecretStr | None = None
    visibility: Visibility = "public"
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the instance's address, such as https://mastodon.social")
        return value.rstrip("/") if value else value
