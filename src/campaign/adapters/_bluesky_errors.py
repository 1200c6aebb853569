"""How Bluesky's failures map into :mod:`campaign.errors`.

A PDS answers errors as XRPC JSON, ``{"error": "InvalidRequest", "message": "..."}``; atproto
raises them as ``atproto_client.exceptions.*`` with the answer in ``.response``, and raises
transport failures either wrapped (``NetworkError``, ``InvokeTimeoutError``, with the httpx
exception as ``__cause__``) or as bare httpx exceptions (a dropped connection). This module
turns any of them into the one error class the daemon acts on, with a message that says what
to do. Messages quote the server's text and never a request, so no credential can leak.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from atproto_client.exceptions import RequestErrorBase
from atproto_client.models.common import XrpcError

from campaign.adapters._transport import describe_time
from campaign.errors import (
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RetryableError,
)

CREDENTIALS_ADVICE = (
    "check CAMPAIGN_BLUESKY_HANDLE and CAMPAIGN_BLUESKY_APP_PASSWORD; create an app password "
    "on bsky.app under Settings > Privacy and security > App passwords"
)
# A PDS answers 400 with these when the access token is past its time or was revoked, and
# 401 when a request carries no usable credentials at all.
_SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
# Failures that prove the request never left: nothing can have been created.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class XrpcAnswer:
    """What the server said when it refused a request."""

    status: int
    error: str
    message: str
    headers: Mapping[str, str]

    @classmethod
    def of(cls, exc: BaseException) -> XrpcAnswer | None:
        """The answer carried by ``exc``, or ``None`` when no answer came (transport failure)."""
        response = exc.response if isinstance(exc, RequestErrorBase) else None
        if response is None:
            return None
        content = response.content
        error, message = "", ""
        if isinstance(content, XrpcError):
            error, message = content.error or "", content.message or ""
        return cls(response.status_code, error, message, response.headers)

    @property
    def text(self) -> str:
        """The server's error name and message, for quoting to the user."""
        return ": ".join(part for part in (self.error, self.message) if part) or "no details"

    @property
    def session_refused(self) -> bool:
        """The server does not accept the session (expired, revoked or wrong credentials)."""
        return self.status == 401 or (self.status == 400 and self.error in _SESSION_ERRORS)


def session_refused(exc: BaseException) -> bool:
    """Whether ``exc`` is the server refusing our session, so logging in again may help."""
    answer = XrpcAnswer.of(exc)
    return answer is not None and answer.session_refused


def record_missing(exc: BaseException) -> bool:
    """Whether ``exc`` is ``getRecord`` answering that there is no such record."""
    answer = XrpcAnswer.of(exc)
    return answer is not None and (
        answer.error == "RecordNotFound" or (answer.status == 404 and not answer.error)
    )


def api_error(exc: BaseException, action: str, *, creates_post: bool = False) -> PublishError:
    """The error for ``exc``, raised while trying to ``action`` (e.g. "publish the post")."""
    answer = XrpcAnswer.of(exc)
    if answer is None:
        return transport_error(exc, action, creates_post=creates_post)
    if answer.status == 429:
        reset = rate_limit_reset(answer.headers)
        return RateLimited(
            f"Bluesky rate limit reached while trying to {action}; "
            f"it resets at {describe_time(reset)}",
            reset,
        )
    if answer.status >= 500:
        return RetryableError(
            f"Bluesky answered {answer.status} ({answer.text}) when asked to {action}"
        )
    if answer.session_refused:
        return PermanentError(
            f"Bluesky refused the login ({answer.status} {answer.text}): {CREDENTIALS_ADVICE}"
        )
    if answer.status == 413:
        return PermanentError(
            f"Bluesky refused to {action}: too large ({answer.text}); make the images smaller"
        )
    return PermanentError(
        f"Bluesky refused to {action} ({answer.status} {answer.text}); fix the post or the "
        "settings it names and try again"
    )


def rate_limit_reset(headers: Mapping[str, str]) -> datetime | None:
    """When the limit resets (UTC), from ``ratelimit-reset`` (Unix seconds), if sent."""
    try:
        return datetime.fromtimestamp(int(headers.get("ratelimit-reset") or ""), UTC)
    except ValueError:
        return None


def transport_error(exc: BaseException, action: str, *, creates_post: bool) -> PublishError:
    """The error for a request to ``action`` that got no usable answer.

    Before the request left (connection refused, DNS, connect timeout) nothing happened:
    retryable. After it was sent (read timeout, connection dropped, garbled answer) a request
    that ``creates_post`` may have been applied: outcome unknown. Other requests (logins,
    uploads, lookups) create nothing visible, so sending them again is safe.
    """
    reason = _reason(exc)
    if creates_post and _sent(exc):
        return OutcomeUnknown(
            f"Bluesky may have published this post: the request was sent but no answer came "
            f"back ({reason}); look for it on the account before trying again"
        )
    return RetryableError(f"could not {action} on Bluesky ({reason})")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from."""
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _sent(exc: BaseException) -> bool:
    """Whether the request may have reached the server (False only when it provably did not)."""
    return not any(isinstance(e, _NOT_SENT) for e in _chain(exc))


def _reason(exc: BaseException) -> str:
    """A short, credential-free description of a transport failure."""
    for cause in _chain(exc):
        if isinstance(cause, httpx.ConnectTimeout):
            return "timed out connecting"
        if isinstance(cause, httpx.ConnectError):
            return "connection refused or host unreachable"
        if isinstance(cause, httpx.TimeoutException):
            return "timed out waiting for the answer"
        if isinstance(cause, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return "connection closed before the answer"
    return f"unusable answer: {type(exc).__name__}"
