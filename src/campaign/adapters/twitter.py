"""X (Twitter): posts, threads and images through X API v2, signed with OAuth 1.0a.

Settings, from the environment or a git-ignored ``.env``:

- ``CAMPAIGN_TWITTER_API_KEY``, ``CAMPAIGN_TWITTER_API_SECRET``: the app's consumer key and
  secret ("API Key and Secret" in the X developer portal).
- ``CAMPAIGN_TWITTER_ACCESS_TOKEN``, ``CAMPAIGN_TWITTER_ACCESS_SECRET``: the posting account's
  access token and secret. The app needs Read and Write permission; a token keeps the
  permission it was created with, so regenerate it after changing the app's permission.
- ``CAMPAIGN_TWITTER_API_URL``: where X's API is (default ``https://api.x.com``). Every request,
  posts and media alike, goes there, so staging and tests can point at another server.

How it publishes (:mod:`campaign.adapters._x_adapter`): tweepy's ``Client.create_tweet``, a
thread part replying to the previous part with ``in_reply_to_tweet_id``; images go first
(:mod:`campaign.adapters._x_media`: one request for a still image, segments for a GIF, then
``POST /2/media/metadata`` for the alt text), through calls tweepy lacks, signed with the same
credentials. Rate limits are never waited for here: the daemon
gets :class:`~campaign.errors.RateLimited` with the reset time and decides.

X refuses a post identical to a recent one ("duplicate content"). That is what a retry after an
unknown outcome looks like when the first attempt did go out, so instead of failing the adapter
looks the post up on the account's recent timeline and returns the existing post's receipt.

``look_back_reliable`` is False: X's timeline is eventually consistent (a post can take seconds
to appear) and covers only the latest 100 posts, so not finding a post does not prove X never
got it. The daemon therefore asks a person rather than sending again blindly.
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from campaign.adapters._config import AdapterSettings

DEFAULT_API_URL = "https://api.x.com"


class XSettings(AdapterSettings):
    """The ``CAMPAIGN_TWITTER_*`` settings; credentials are None until set."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_TWITTER_")

    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_secret: SecretStr | None = None
    api_url: str = DEFAULT_API_URL

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://api.x.com")
        return value.rstrip("/")
