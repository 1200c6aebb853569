"""Reading Bluesky posts' public figures: ``app.bsky.feed.getPosts`` (atproto's
``get_posts``), up to 25 posts a request: likes, reposts, replies, quotes and bookmarks.
Bluesky counts no views. A post the AppView no longer returns reads as not available.
"""

from __future__ import annotations

from collections.abc import Sequence

from atproto_client import Client

from campaign.adapters._bluesky_records import PostRef
from campaign.adapters.engagement import Engagement, count
from campaign.errors import PermanentError

BATCH = 25  # the lexicon's limit on uris per request
GONE = Engagement.not_available("Bluesky no longer shows this post (deleted?)")


def read(client: Client, remote_ids: Sequence[str]) -> dict[str, Engagement]:
    """The figures of ``remote_ids`` (our ``at://…#cid`` ids, at most :data:`BATCH`).

    Raises atproto's and httpx's errors.
    """
    uris: dict[str, str] = {}
    readings: dict[str, Engagement] = {}
    for remote_id in remote_ids:
        try:
            uris[PostRef.parse(remote_id).uri] = remote_id
        except PermanentError as exc:
            readings[remote_id] = Engagement.not_available(str(exc))
    if uris:
        for post in client.get_posts(list(uris)).posts:
            if post.uri in uris:
                readings[uris[post.uri]] = Engagement(
                    likes=count(post.like_count),
                    reposts=count(post.repost_count),
                    replies=count(post.reply_count),
                    quotes=count(post.quote_count),
                    bookmarks=count(post.bookmark_count),
                )
    return {remote_id: readings.get(remote_id, GONE) for remote_id in remote_ids}
