"""Maps LinkedIn's error answers into :mod:`campaign.errors`, with what to do about each.

LinkedIn answers errors with ``{"status": 4xx, "serviceErrorCode": …, "code": …, "message": …}``.
It sends no rate-limit reset header: a 429 waits for ``Retry-After`` when present, else until
the next midnight UTC, when LinkedIn's daily application and member limits reset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from campaign.errors import PermanentError, PublishError, RateLimited, RetryableError

TOKEN_ADVICE = (
    "LinkedIn access tokens last 60 days: create a new one with the app's OAuth flow or the "  # noqa: S105 - advice, not a token
    "Developer Portal token generator (https://www.linkedin.com/developers/tools/oauth/"
    "token-generator), or exchange your refresh token if the app has one, then set "
    "CAMPAIGN_LINKEDIN_ACCESS_TOKEN"
)
PERMISSION_ADVICE = (
    "posting as a page (urn:li:organization:…) needs the w_organization_social scope and a "
    "Super admin (ADMINISTRATOR) or Content admin (CONTENT_ADMINISTRATOR) role on that page; "
    "posting as a member (urn:li:person:…) needs w_member_social for that member's own token"
)
POST_FIX = "Fix the post as the message says"
ACCOUNT_FIX = "Check CAMPAIGN_LINKEDIN_AUTHOR and the access token as the message says"
VERSION_ADVICE = (
    "set CAMPAIGN_LINKEDIN_VERSION to an active YYYYMM version "
    "(https://learn.microsoft.com/linkedin/marketing/versioning)"
)

_DUPLICATE = re.compile(r"duplicate of (urn:li:[A-Za-z]+:[\w-]+)")


def json_object(response: requests.Response) -> dict[str, Any]:
    """The JSON object in ``response``, or an empty one when it holds none."""
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _details(response: requests.Response) -> tuple[str, str]:
    """LinkedIn's (code, message) from an error answer, falling back to the HTTP reason."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return "", response.reason or ""
    return str(body.get("code") or ""), str(body.get("message") or response.reason or "")


def duplicate_of(response: requests.Response) -> str | None:
    """The URN of the existing post when LinkedIn refused a post as a duplicate of it."""
    if response.status_code not in (400, 409, 422):
        return None
    match = _DUPLICATE.search(_details(response)[1])
    return match.group(1) if match else None


def reset_at(response: requests.Response, now: datetime) -> datetime:
    """When a 429 ends: ``Retry-After`` (seconds or HTTP date), else the next midnight UTC."""
    retry_after = (response.headers.get("Retry-After") or "").strip()
    if retry_after.isdigit():
        return now + timedelta(seconds=int(retry_after))
    if retry_after:
        try:
            return parsedate_to_datetime(retry_after).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)


def error_for(
    response: requests.Response, action: str, now: datetime, *, fix: str = POST_FIX
) -> PublishError:
    """The error to raise for LinkedIn's non-success ``response`` to ``action``.

    ``action`` says what was attempted ("creating the post", "uploading the image", …);
    ``fix`` ends a refusal no other rule explains: what to fix (the post, or for a request
    about the account, :data:`ACCOUNT_FIX`).
    """
    status = response.status_code
    code, message = _details(response)
    said = f"LinkedIn answered {status}{f' {code}' if code else ''} to {action}: {message}"
    if status == 401:
        return PermanentError(f"{said}. The access token is invalid or expired. {TOKEN_ADVICE}")
    if status == 403:
        return PermanentError(f"{said}. The token lacks a permission: {PERMISSION_ADVICE}")
    if status == 426:
        return PermanentError(f"{said}. {VERSION_ADVICE}")
    if status == 429:
        when = reset_at(response, now)
        return RateLimited(f"{said}. Waiting until {when:%Y-%m-%d %H:%M} UTC", when)
    if status >= 500:
        return RetryableError(f"{said}. LinkedIn is having trouble")
    if status == 413:
        return PermanentError(f"{said}. The image is too large; scale it down")
    return PermanentError(f"{said}. {fix}")
