"""Bluesky adapter: posts, threads and images through the AT Protocol (the ``atproto`` SDK).

Settings (environment or ``.env``):

``CAMPAIGN_BLUESKY_HANDLE``
    The account's handle, e.g. ``campaign.bsky.social`` (required).
``CAMPAIGN_BLUESKY_APP_PASSWORD``
    An app password, not the account password: create one on bsky.app under Settings >
    Privacy and security > App passwords (required).
``CAMPAIGN_BLUESKY_SERVICE_URL``
    The account's server, default ``https://bsky.social``; set it for a self-hosted PDS.
``CAMPAIGN_BLUESKY_LINK_CARD``
    ``true`` (default) or ``false``: whether a post without images shows a card for its first
    link. ``campaign schedule`` reads the card from the page's Open Graph tags
    (:mod:`campaign.adapters.linkcards`) and keeps it in the ledger; the daemon passes it as
    :attr:`~campaign.adapters.base.Outgoing.card`. Without a readable card: a plain link.
``CAMPAIGN_BLUESKY_TIMEOUT_SECONDS``
    How long to wait for each answer from the server, default 30.

Links show in their display form (host and the start of the path, ending in "…", as
Bluesky's app shows them) with a link facet carrying the full URL
(:func:`campaign.platforms.bluesky.display_text`); ``#hashtags`` and ``@mentions`` become
facets too (UTF-8 byte ranges), so they are clickable; a mention whose handle does not
resolve stays plain text.

Exactly once. Each post's record key is derived from our post id and its scheduled time (see
:mod:`campaign.adapters._bluesky_records`), so a second attempt at the same post cannot create
a second record: the server refuses the existing key, and the adapter then reports the post
already there. :meth:`look_back` asks the account's server for the record under that key
(``com.atproto.repo.getRecord``), which answers from the repository itself, without indexing
delay: ``None`` proves the post does not exist, so ``look_back_reliable`` is True. (If the
post's scheduled time is changed between two attempts, its key changes too.)

Remote ids are ``at://<did>/app.bsky.feed.post/<key>#<cid>``: replies need both parts. A
session the server stops accepting is replaced once by logging in again.
"""

from __future__ import annotations

from pydantic import Field, HttpUrl, SecretStr
from pydantic_settings import SettingsConfigDict

from campaign.adapters._config import AdapterSettings


class BlueskySettings(AdapterSettings):
    """``CAMPAIGN_BLUESKY_*`` settings; see the module docstring."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGN_BLUESKY_")

    handle: str | None = None
    app_password: SecretStr | None = None
    service_url: HttpUrl = HttpUrl("https://bsky.social")
    link_card: bool = True
    timeout_seconds: float = Field(default=30.0, gt=0)
