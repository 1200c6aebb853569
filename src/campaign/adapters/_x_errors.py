"""How X's failures map into :mod:`campaign.errors`, for tweepy's calls and our own alike.

X answers errors as v2 problem JSON (``{"title", "detail", "type", "status"}``), sometimes with
an ``errors`` array of ``{"message", "parameters"}``; this module reads both and turns an answer
or a transport failure into the one error class the daemon acts on, with a message that says
what to do. Messages quote X's text and never the request, so no credential can leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from campaign.adapters._transport import describe_time, failure_reason, may_have_been_sent
from campaign.errors import (
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RetryableError,
)

CREDENTIAL_VARIABLES = (
    "CAMPAIGN_TWITTER_API_KEY, CAMPAIGN_TWITTER_API_SECRET, "
    "CAMPAIGN_TWITTER_ACCESS_TOKEN and CAMPAIGN_TWITTER_ACCESS_SECRET"
)


class DuplicateContent(PermanentError):
    """X refused a post as identical to a recent one; the adapter looks for that one first."""


class NotFound(PermanentError):
    """X answered 404: no such path or object (the media code then tries an older path)."""


@dataclass(frozen=True)
class XProblem:
    """What X said went wrong, from one error response."""

    status: int
    title: str
    detail: str
    type: str
    messages: tuple[str, ...]

    @classmethod
    def of(cls, response: requests.Response) -> XProblem:
        """Parse ``response``'s body, tolerating the non-JSON pages a proxy may send."""
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        messages = tuple(
            str(e.get("message") or e.get("detail") or "") for e in errors if isinstance(e, dict)
        )
        return cls(
            status=response.status_code,
            title=str(body.get("title") or response.reason or ""),
            detail=str(body.get("detail") or ""),
            type=str(body.get("type") or ""),
            messages=tuple(m for m in messages if m),
        )

    @property
    def text(self) -> str:
        """Everything X said, for matching and for quoting to the user."""
        return " ".join(part for part in (self.detail, *self.messages) if part) or self.title

    def mentions(self, *words: str) -> bool:
        """Whether X's text mentions any of ``words`` (case-insensitive)."""
        lowered = f"{self.type} {self.text}".lower()
        return any(word in lowered for word in words)

    @property
    def is_duplicate(self) -> bool:
        """X refused the post as a duplicate of a recent one by the same account."""
        return self.status == 403 and self.mentions("duplicate content")


def http_error(response: requests.Response, action: str) -> PublishError:
    """The error for X's non-2xx ``response`` to ``action`` (e.g. "publish the post")."""
    problem = XProblem.of(response)
    status = problem.status
    if status == 429:
        reset = rate_limit_reset(response)
        return RateLimited(
            f"X rate limit reached while trying to {action}; it resets at {describe_time(reset)}",
            reset,
        )
    if status >= 500:
        return RetryableError(
            f"X answered {status} {problem.title} when asked to {action}; nothing was created"
        )
    if status == 401:
        return PermanentError(
            f"X refused the credentials (401 {problem.title}): check {CREDENTIAL_VARIABLES}; "
            "if they were regenerated or revoked, copy the new ones from the app's "
            "'Keys and tokens' page in the X developer portal"
        )
    if status == 404:
        return NotFound(f"X answered 404 {problem.title} when asked to {action}: {problem.text}")
    if problem.is_duplicate:
        return DuplicateContent(
            f"X refused to {action}: it duplicates a recent post by this account and that "
            "post could not be found on the account's timeline; change the text or delete the "
            "earlier post"
        )
    if problem.mentions("oauth1-permissions", "oauth1 app permissions", "not permitted"):
        return PermanentError(
            f"X refused to {action}: the app needs Read and Write permission. Set it under "
            "'User authentication settings' in the X developer portal, then regenerate the "
            "access token and secret (a token keeps the permission it was created with)"
        )
    if problem.mentions("client-forbidden", "client-not-enrolled"):
        return PermanentError(
            f"X refused to {action}: the app is not attached to a Project with API v2 access; "
            "attach it to a Project in the X developer portal"
        )
    if problem.mentions("too long", "shorter"):
        return PermanentError(
            f"X refused to {action}: the text is too long ({problem.text}); shorten the "
            "template ('campaign preview' shows each post's weighted length)"
        )
    if problem.mentions("media"):
        return PermanentError(
            f"X rejected the media when asked to {action} ({problem.text}); check that each "
            "image is a JPEG, PNG, WEBP or GIF within X's size limits"
        )
    return PermanentError(f"X refused to {action} ({status} {problem.title}): {problem.text}")


def rate_limit_reset(response: requests.Response) -> datetime | None:
    """When the limit that stopped ``response`` resets (UTC), from X's headers.

    X sends ``x-rate-limit-reset`` for the endpoint's 15-minute window and, for posting,
    ``x-user-limit-24hour-reset`` for the daily cap; when the daily cap is the one exhausted,
    its reset is the one that matters.
    """
    headers = response.headers
    daily_exhausted = headers.get("x-user-limit-24hour-remaining") == "0"
    raw = headers.get("x-user-limit-24hour-reset") if daily_exhausted else None
    raw = raw or headers.get("x-rate-limit-reset")
    try:
        return datetime.fromtimestamp(int(raw or ""), UTC)
    except ValueError:
        return None


def transport_error(
    exc: requests.RequestException, action: str, *, creates_post: bool
) -> PublishError:
    """The error for a request to ``action`` that got no usable answer.

    Before the request left (connection refused, DNS, TLS, connect timeout) nothing happened:
    retryable. After it was sent (read timeout, connection dropped, garbled answer) a request
    that ``creates_post`` may have been applied: outcome unknown. Other requests (uploads,
    lookups) create nothing visible, so sending them again is safe.
    """
    reason = failure_reason(exc)
    if may_have_been_sent(exc) and creates_post:
        return OutcomeUnknown(
            f"X may have published this post: the request was sent but no answer came back "
            f"({reason}); look for it on the account before trying again"
        )
    return RetryableError(f"could not {action} on X ({reason})")
