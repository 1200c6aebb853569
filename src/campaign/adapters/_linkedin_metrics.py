"""Reading LinkedIn posts' figures, as far as the access token's scope allows.

1. A page's posts: ``GET /rest/organizationalEntityShareStatistics`` (lifetime statistics of
   up to :data:`BATCH` posts a request; scope ``rw_organization_admin``, the member an
   administrator of the page): likes, comments, reshares and impressions.
2. Otherwise, or when LinkedIn refuses that (403): ``GET /rest/socialActions/{urn}``, one post
   a request (scope ``r_organization_social`` for a page, ``r_member_social`` for a member):
   likes and comments only.
3. When LinkedIn refuses that too, each post reads as not available, saying which scope to
   add: the daemon records it and goes on; nothing fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import requests

from campaign.adapters._linkedin_errors import error_for
from campaign.adapters.engagement import Engagement, count

BATCH = 20
STATISTICS = "organizationalEntityShareStatistics"
NO_SCOPE = Engagement.not_available(
    "LinkedIn does not let this token read the post's figures: add the scope "
    "rw_organization_admin (likes, comments, reshares, impressions of a page's posts) or "
    "r_organization_social (likes and comments) to the app and create a new token"
)
GONE = Engagement.not_available("LinkedIn no longer has this post (deleted?)")


class Send(Protocol):
    """The adapter's way to send one request and get LinkedIn's answer, whatever its status."""

    def __call__(
        self, method: str, url: str, action: str, *, sent_means_unknown: bool, **kw: Any
    ) -> requests.Response: ...


class Reader:
    """Reads one author's posts' figures; once LinkedIn refuses share statistics, it goes
    straight to social actions (the token's scope does not change while it lives)."""

    def __init__(self, send: Send, api: str, author: str) -> None:
        self._send, self._api, self._author = send, api, author
        self._statistics = author.startswith("urn:li:organization:")

    def read(self, urns: Sequence[str]) -> dict[str, Engagement]:
        """The figures of the posts ``urns`` (at most :data:`BATCH`).

        Raises :class:`~campaign.errors.RetryableError`, :class:`~campaign.errors.RateLimited`
        or :class:`~campaign.errors.PermanentError` (a refused token) as publishing does.
        """
        if self._statistics:
            found = _statistics(self._send, self._api, self._author, urns)
            if found is not None:
                return found
            self._statistics = False
        return {urn: _social_actions(self._send, self._api, urn) for urn in urns}


def _statistics(
    send: Send, api: str, author: str, urns: Sequence[str]
) -> dict[str, Engagement] | None:
    """Lifetime share statistics of ``urns``, or ``None`` when the token may not read them."""
    shares = [urn for urn in urns if ":share:" in urn]
    lists = {"shares": shares, "ugcPosts": [urn for urn in urns if urn not in shares]}
    # Rest.li 2.0 lists: List(a,b) with each URN percent-encoded, built by hand so that
    # requests does not encode the parentheses and commas too.
    query = "".join(
        f"&{name}=List({','.join(quote(urn, safe='') for urn in members)})"
        for name, members in lists.items()
        if members
    )
    url = f"{api}/rest/{STATISTICS}?q=organizationalEntity&organizationalEntity={quote(author)}"
    status, answer = _get(send, url + query, "reading the posts' share statistics")
    if status != 200:
        return None
    found: dict[str, Engagement] = {}
    for element in answer.get("elements") or []:
        totals = element.get("totalShareStatistics") or {}
        found[str(element.get("share") or element.get("ugcPost"))] = Engagement(
            likes=count(totals.get("likeCount")),
            reposts=count(totals.get("shareCount")),
            replies=count(totals.get("commentCount")),
            impressions=count(totals.get("impressionCount")),
        )
    return {urn: found.get(urn, GONE) for urn in urns}


def _social_actions(send: Send, api: str, urn: str) -> Engagement:
    """Likes and comments of the post ``urn``."""
    url = f"{api}/rest/socialActions/{quote(urn, safe='')}"
    status, answer = _get(send, url, "reading the post's likes and comments")
    if status != 200:
        return GONE if status == 404 else NO_SCOPE
    likes = answer.get("likesSummary") or {}
    comments = answer.get("commentsSummary") or {}
    return Engagement(
        likes=count(likes.get("totalLikes")),
        replies=count(comments.get("aggregatedTotalComments")),
    )


def _get(send: Send, url: str, action: str) -> tuple[int, dict[str, Any]]:
    """LinkedIn's status and JSON object for a success, a refusal (403) or a miss (404).

    Raises the mapped error for any other answer.
    """
    response = send("GET", url, action, sent_means_unknown=False)
    if not (response.ok or response.status_code in (403, 404)):
        raise error_for(response, action, datetime.now(UTC))
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return response.status_code, answer if isinstance(answer, dict) else {}
