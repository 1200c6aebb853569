"""How Mastodon.py's failures map into :mod:`campaign.errors`.

Mastodon.py raises ``MastodonRatelimitError`` on 429 (with ``ratelimit_method="throw"``; it has
already parsed ``X-RateLimit-Reset`` into ``ratelimit_reset``), ``MastodonNetworkError`` when no
answer came (the requests exception is its ``__context__``) and ``MastodonAPIError`` subclasses
for other error answers, with ``args`` = (message, status code, reason, Mastodon's ``error``).
Messages quote Mastodon's ``error`` text and never the request, so no token can leak.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonIOError,
    MastodonNetworkError,
    MastodonRatelimitError,
)

from campaign.adapters._transport import describe_time, failure_reason, may_have_been_sent
from campaign.errors import (
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RetryableError,
)

NEW_CREDENTIAL_ADVICE = (
    "create a new one on the instance under Preferences > Development > New application with "
    "the read, write:statuses and write:media scopes, and set CAMPAIGN_MASTODON_ACCESS_TOKEN"
)
MEDIA_ADVICE = (
    "check that the image is a JPEG, PNG, GIF or WebP within the instance's size limit, "
    "or export it again"
)


@contextmanager
def mastodon_errors(api: Mastodon, action: str, *, creates_post: bool = False) -> Iterator[None]:
    """Turn Mastodon.py's failures while doing ``action`` into campaign errors.

    ``creates_post`` marks the request that makes the status: only there does an answer lost
    after sending leave the outcome unknown. The originals are dropped (``from None``).
    """
    try:
        yield
    except MastodonError as exc:
        raise map_error(exc, api, action, creates_post=creates_post) from None


def map_error(
    exc: MastodonError, api: Mastodon, action: str, *, creates_post: bool = False
) -> PublishError:
    """The campaign error for Mastodon.py's ``exc`` raised while doing ``action``."""
    # Mastodon.py raises this class also when it cannot parse X-RateLimit-Reset, even on a
    # successful answer; only "Hit rate limit." is a 429.
    if isinstance(exc, MastodonRatelimitError) and str(exc).startswith("Hit rate limit"):
        reset = reset_time(api)
        return RateLimited(
            f"Mastodon rate limit reached while trying to {action}; it resets at "
            f"{describe_time(reset)}",
            reset,
        )
    if isinstance(exc, MastodonNetworkError):
        return _transport_error(exc.__context__, action, creates_post=creates_post)
    if isinstance(exc, MastodonAPIError) and status_code(exc):
        return _answer_error(status_code(exc), _said(exc), action)
    if isinstance(exc, MastodonIllegalArgumentError | MastodonIOError):
        return PermanentError(f"could not {action} on Mastodon: {exc}")
    if creates_post:  # e.g. a 2xx answer that is not JSON or has odd headers: it may exist
        return OutcomeUnknown(
            f"Mastodon may have published this post: its answer could not be read "
            f"({type(exc).__name__}); look for it on the account before trying again"
        )
    return RetryableError(
        f"could not {action} on Mastodon ({type(exc).__name__}: the answer could not be "
        "read); check CAMPAIGN_MASTODON_API_BASE_URL if this persists"
    )


def status_code(exc: MastodonAPIError) -> int:
    """The HTTP status of Mastodon.py's error answer, or 0 when it was not an error answer."""
    code = exc.args[1] if len(exc.args) > 1 else None
    return code if isinstance(code, int) else 0


def reset_time(api: Mastodon) -> datetime | None:
    """When the rate limit resets (UTC), as Mastodon.py read it from ``X-RateLimit-Reset``."""
    reset = api.ratelimit_reset
    return datetime.fromtimestamp(reset, UTC) if reset else None


def _answer_error(status: int, said: str, action: str) -> PublishError:
    """The error for Mastodon's ``status`` answer to ``action``, Mastodon's text ``said``."""
    quoted = f"{status}: {said}" if said else str(status)
    if status >= 500:
        return RetryableError(f"Mastodon answered {quoted} when asked to {action}")
    if status == 401:
        return PermanentError(
            f"Mastodon refused the access token ({quoted}); {NEW_CREDENTIAL_ADVICE}"
        )
    if status == 403:
        return PermanentError(
            f"Mastodon refused to {action} ({quoted}): the access token lacks a scope or the "
            f"account is suspended or limited; {NEW_CREDENTIAL_ADVICE}"
        )
    if status == 404:
        return PermanentError(
            f"Mastodon could not {action} ({quoted}): check that CAMPAIGN_MASTODON_API_BASE_URL "
            "is the instance's address and that the thread's previous part was not deleted"
        )
    if status == 413:
        return PermanentError(
            f"the instance refused to {action}: the file is too large "
            "(413); resize or compress the image"
        )
    lowered = said.lower()
    if "not finished processing" in lowered:
        return RetryableError(f"Mastodon refused to {action} ({quoted})")
    if "character limit" in lowered:
        return PermanentError(
            f"Mastodon refused to {action} ({quoted}): shorten the template ('campaign "
            "preview' shows each post's length)"
        )
    if any(word in lowered for word in ("file", "media", "thumbnail", "description")):
        return PermanentError(f"Mastodon refused to {action} ({quoted}); {MEDIA_ADVICE}")
    return PermanentError(f"Mastodon refused to {action} ({quoted})")


def _transport_error(
    cause: BaseException | None, action: str, *, creates_post: bool
) -> PublishError:
    """The error for a request that got no answer; ``cause`` is requests' exception.

    Before the request left (connection refused, DNS, TLS, connect timeout) nothing happened:
    retryable. After it was sent (read timeout, connection dropped) the request that
    ``creates_post`` may have been applied; other requests create nothing visible.
    """
    if may_have_been_sent(cause) and creates_post:
        return OutcomeUnknown(
            f"Mastodon may have published this post: the request was sent but no answer came "
            f"back ({failure_reason(cause)}); look for it on the account before trying again"
        )
    return RetryableError(f"could not {action} on Mastodon ({failure_reason(cause)})")


def _said(exc: MastodonAPIError) -> str:
    """Mastodon's own ``error`` text from the answer, if it sent one."""
    said = exc.args[3] if len(exc.args) > 3 else None
    return str(said) if said else ""
