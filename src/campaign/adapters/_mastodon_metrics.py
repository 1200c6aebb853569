"""Reading a Mastodon status's public figures: ``GET /api/v1/statuses/:id`` (Mastodon.py's
``status()``), one status a request: favourites, boosts and replies. Mastodon counts no
quotes or views; a status the instance no longer has (404) reads as not available.
"""

from __future__ import annotations

from mastodon import Mastodon, MastodonNotFoundError

from campaign.adapters.engagement import Engagement, count

GONE = Engagement.not_available("the instance no longer has this status (deleted?)")


def read(api: Mastodon, status_id: str) -> Engagement:
    """The figures of status ``status_id``. Raises Mastodon.py's other errors."""
    try:
        status = api.status(status_id)
    except MastodonNotFoundError:
        return GONE
    return Engagement(
        likes=count(status.get("favourites_count")),
        reposts=count(status.get("reblogs_count")),
        replies=count(status.get("replies_count")),
    )
