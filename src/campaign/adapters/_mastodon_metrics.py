"""Reading a Mastodon status's public figures: ``GET /api/v1/statuses/:id`` (Mastodon.py's
``status()``), one status a request: favourites, boosts and replies. Mastodon counts no
quotes or views; a status the instance no longer has (404) reads as not available.

Mastodon's rate limit (300 requests in 5 minutes by default) covers posting and reading alike,
so reads stop while fewer than :data:`RESERVE` requests are left: they wait for the reset
(:class:`~campaign.errors.RateLimited`) and leave the rest for posts.
"""

from __future__ import annotations

from mastodon import Mastodon, MastodonNotFoundError

from campaign.adapters._mastodon_errors import reset_time
from campaign.adapters.engagement import Engagement, count
from campaign.errors import RateLimited

RESERVE = 30  # requests of the rate-limit window that reads leave to posting
GONE = Engagement.not_available("the instance no longer has this status (deleted?)")


def read(api: Mastodon, status_id: str) -> Engagement:
    """The figures of status ``status_id``.

    Raises :class:`RateLimited` while the window has fewer than :data:`RESERVE` requests left,
    and Mastodon.py's errors.
    """
    if api.ratelimit_remaining < RESERVE:
        raise RateLimited(
            f"only {api.ratelimit_remaining} Mastodon requests are left until the rate limit "
            "resets; reads wait so that posts can go out",
            reset_time(api),
        )
    try:
        status = api.status(status_id)
    except MastodonNotFoundError:
        return GONE
    return Engagement(
        likes=count(status.get("favourites_count")),
        reposts=count(status.get("reblogs_count")),
        replies=count(status.get("replies_count")),
    )
