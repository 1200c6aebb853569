"""The live X adapter: tweepy for posts and lookups, our own signed requests for media.

Imported by :func:`campaign.adapters.registry.connect` only, so planning and previews never load
tweepy or requests. See :mod:`campaign.adapters.twitter` for settings and behaviour.
"""

from __future__ import annotations

import html
import logging
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, ClassVar

import requests
import tweepy

from campaign.adapters import _x_metrics
from campaign.adapters._config import AdapterSettings
from campaign.adapters._session import SteadySession
from campaign.adapters._x_errors import (
    DuplicateContent,
    http_error,
    transport_error,
)
from campaign.adapters._x_media import upload
from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.adapters.engagement import Engagement
from campaign.adapters.twitter import XSettings
from campaign.errors import OutcomeUnknown, RetryableError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.twitter import SPEC
from campaign.platforms.twittertext import extract_urls_with_indices

log = logging.getLogger(__name__)

# requests-oauthlib and oauthlib log the signed Authorization header (consumer key, access
# token) at DEBUG. Keep them at WARNING whatever the application's level, so credentials can
# never reach a log.
for _noisy in ("oauthlib", "requests_oauthlib"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

TWEEPY_HOST = "https://api.twitter.com"  # fixed inside tweepy.Client.request
TIMEOUT = (10.0, 60.0)  # seconds to connect, and to wait between bytes of the answer
TIMELINE_SIZE = 100  # the most X returns in one page; look-back reads one page
CLOCK_MARGIN = timedelta(minutes=5)


class RebasedSession(SteadySession):
    """tweepy's HTTP session, sending every request to the configured base URL with timeouts.

    tweepy builds ``https://api.twitter.com/...`` URLs itself. Rewriting them here, before
    requests prepares and so signs the request, makes the OAuth 1.0a signature cover the URL
    actually requested. (A transport adapter would rewrite after signing: the server would see
    a signature for another host and answer 401.)
    """

    def __init__(self, base_url: str, timeout: tuple[float, float] = TIMEOUT) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send the request to ``base_url`` instead of tweepy's host, with default timeouts."""
        target = url.decode() if isinstance(url, bytes) else url
        if target.startswith(TWEEPY_HOST):
            target = self.base_url + target[len(TWEEPY_HOST) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, target, *args, **kwargs)


class XAdapter(Adapter):
    """One X account, posting through X API v2 (see :mod:`campaign.adapters.twitter`)."""

    spec: ClassVar[PlatformSpec] = SPEC
    settings_type: ClassVar[type[AdapterSettings]] = XSettings
    look_back_reliable: ClassVar[bool] = False
    metrics_batch: ClassVar[int] = _x_metrics.BATCH

    def __init__(self, settings: XSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        keys = {
            name: secret.get_secret_value() if secret else ""
            for name, secret in (
                ("consumer_key", settings.api_key),
                ("consumer_secret", settings.api_secret),
                ("access_token", settings.access_token),
                ("access_token_secret", settings.access_secret),
            )
        }
        self._base_url = settings.api_url
        self._client = tweepy.Client(**keys, return_type=dict, wait_on_rate_limit=False)
        self._client.session = RebasedSession(self._base_url)
        self._auth = tweepy.OAuth1UserHandler(**keys).apply_auth()
        self._sleep = sleep
        self._account: tuple[str, str] | None = None  # (user id, username), once known

    def publish(self, post: Outgoing) -> Receipt:
        """Publish ``post`` (uploading its images first) and return its receipt.

        A post X refuses as a duplicate is looked up on the timeline and, if found, its
        receipt returned. Raises the :mod:`campaign.errors` classes listed on
        :meth:`Adapter.publish`; image problems raise PermanentError before anything is sent.
        """
        self.preflight(post)
        media_ids = [upload(self._call, image, self._sleep) for image in post.media]
        try:
            with self._errors("publish the post", creates_post=True):
                body = self._client.create_tweet(
                    text=post.text,
                    in_reply_to_tweet_id=post.reply_to,
                    media_ids=media_ids or None,
                )
        except DuplicateContent:
            found = self.look_back(post)
            if found is None:
                raise
            log.info("X already has post %s as %s; using that one", post.post_id, found.remote_id)
            return found
        remote_id = str((body.get("data") or {}).get("id") or "")
        if not remote_id:
            raise OutcomeUnknown(
                "X accepted the post but its answer had no post id; "
                "look for it on the account before trying again"
            )
        log.info("published %s on X as %s", post.post_id, remote_id)
        return self._receipt(remote_id)

    def check_credentials(self) -> str:
        """Ask X who these credentials belong to (``GET /2/users/me``); return ``@handle``."""
        self._account = None
        return f"@{self._me()[1]}"

    def look_back(self, post: Outgoing) -> Receipt | None:
        """Find ``post`` among the account's latest posts (``GET /2/users/:id/tweets``).

        A match has the same text once URLs are set aside (X rewrites them to t.co links),
        replies to the same post (``post.reply_to``) and, when ``post.scheduled_at`` is known,
        is no older than that; the newest match wins.
        """
        user_id = self._me()[0]
        # Posts older than the schedule cannot be this one (an identical text from an earlier
        # campaign must not be taken for it); the margin absorbs clock differences.
        since = post.scheduled_at - CLOCK_MARGIN if post.scheduled_at else None
        with self._errors("look for the post on the account's timeline"):
            body = self._client.get_users_tweets(
                user_id,
                user_auth=True,
                max_results=TIMELINE_SIZE,
                start_time=since,
                exclude=["retweets"],
                tweet_fields=["referenced_tweets", "created_at"],
            )
        wanted = comparable(post.text)
        for tweet in body.get("data") or []:
            if comparable(tweet.get("text", "")) == wanted and _replied_to(tweet) == post.reply_to:
                return self._receipt(str(tweet["id"]))
        return None

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """The posts' public figures, up to 100 in one request (see :mod:`._x_metrics`)."""
        with self._errors("read the posts' public figures"):
            return _x_metrics.read(self._client, remote_ids)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.session.close()

    def _me(self) -> tuple[str, str]:
        """The account's user id and username, asked once per adapter."""
        if self._account is None:
            with self._errors("check the account's credentials"):
                body = self._client.get_me(user_auth=True)
            data = body.get("data") or {}
            if not data.get("id") or not data.get("username"):
                raise RetryableError("X's answer about the account had no id or username")
            self._account = (str(data["id"]), str(data["username"]))
        return self._account

    def _call(self, method: str, path: str, action: str, **kwargs: Any) -> dict[str, Any]:
        """Send one request signed like tweepy's to ``path`` and return its JSON body (empty
        when X answers without one, as it may to a media segment)."""
        with self._errors(action):
            response = self._client.session.request(
                method, self._base_url + path, auth=self._auth, **kwargs
            )
            with response:
                if not response.ok:
                    raise http_error(response, action)
                body: dict[str, Any] = response.json() if response.content else {}
                return body

    @contextmanager
    def _errors(self, action: str, *, creates_post: bool = False) -> Iterator[None]:
        """Map tweepy's and requests' failures while doing ``action`` into campaign errors.

        The originals are dropped (``from None``): they hold the signed request.
        """
        try:
            yield
        except tweepy.HTTPException as exc:
            raise http_error(exc.response, action) from None
        except requests.RequestException as exc:
            raise transport_error(exc, action, creates_post=creates_post) from None

    @staticmethod
    def _receipt(remote_id: str) -> Receipt:
        return Receipt(remote_id=remote_id, url=f"https://x.com/i/web/status/{remote_id}")


def comparable(text: str) -> str:
    """``text`` reduced to what survives X's rewriting, to compare a post with a stored one.

    X stores URLs as t.co links and escapes ``&<>`` as HTML entities; URLs are therefore
    removed (found the way X finds them, with or without a scheme), entities unescaped,
    Unicode normalised and whitespace collapsed.
    """
    text = unicodedata.normalize("NFC", html.unescape(text))
    kept: list[str] = []
    cursor = 0
    for url in extract_urls_with_indices(text):
        start, end = url["indices"]
        kept.append(text[cursor:start])
        cursor = end
    kept.append(text[cursor:])
    return " ".join("".join(kept).split())


def _replied_to(tweet: dict[str, Any]) -> str | None:
    """The id of the post ``tweet`` replies to, if any."""
    for ref in tweet.get("referenced_tweets") or []:
        if ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None
