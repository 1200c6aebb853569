"""Reading X posts' public figures: ``GET /2/tweets?ids=…&tweet.fields=public_metrics``.

One request reads up to 100 posts (X's limit for ``ids``). X leaves a post it no longer
serves (deleted, or its account protected or suspended) out of ``data`` and names it in
``errors``; such a post reads as not available.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tweepy

from campaign.adapters.engagement import Engagement, count

BATCH = 100  # X's limit on ids per request
GONE = Engagement.not_available(
    "X no longer shows this post (deleted, or its account protected or suspended)"
)


def read(client: tweepy.Client, remote_ids: Sequence[str]) -> dict[str, Engagement]:
    """The figures of ``remote_ids`` (at most :data:`BATCH`) through tweepy's ``get_tweets``,
    signed as the account (OAuth 1.0a user context). Raises tweepy's and requests' errors."""
    body = client.get_tweets(list(remote_ids), user_auth=True, tweet_fields=["public_metrics"])
    found = {str(tweet.get("id")): _engagement(tweet) for tweet in body.get("data") or []}
    return {remote_id: found.get(remote_id, GONE) for remote_id in remote_ids}


def _engagement(tweet: dict[str, Any]) -> Engagement:
    figures = tweet.get("public_metrics") or {}
    return Engagement(
        likes=count(figures.get("like_count")),
        reposts=count(figures.get("retweet_count")),
        replies=count(figures.get("reply_count")),
        quotes=count(figures.get("quote_count")),
        bookmarks=count(figures.get("bookmark_count")),
        impressions=count(figures.get("impression_count")),
    )
