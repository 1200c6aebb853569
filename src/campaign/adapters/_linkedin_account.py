"""Whom a LinkedIn token posts as, for :meth:`LinkedInAdapter.check_credentials`.

For a page (``urn:li:organization:…``) the member's roles come from
``GET /rest/organizationAcls?q=roleAssignee&state=APPROVED`` (paged with ``start``/``count``):
a Super admin (``ADMINISTRATOR``) or Content admin (``CONTENT_ADMINISTRATOR``) may post; another
role, or none, is a setup problem said as such. The page's name is read afterwards when
LinkedIn allows it. For a member (``urn:li:person:…``) ``GET /v2/userinfo`` confirms the token
is that member's.

Publishing needs only ``w_organization_social`` or ``w_member_social``; these reads need more
(``r_organization_admin``; ``openid profile``). A read LinkedIn refuses or does not know
(403, 404, 400…) therefore becomes a *notice* naming the scope, and the check passes: the
first post then answers the question, and a 403 there says which scope or role is missing.
Only a refused token (401), a retired version (426), a rate limit or a LinkedIn outage fails
the check, and those messages are about the account, never about a post.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import requests

from campaign.adapters._linkedin_errors import ACCOUNT_FIX, error_for, json_object
from campaign.errors import PermanentError

POSTING_ROLES = frozenset({"ADMINISTRATOR", "CONTENT_ADMINISTRATOR"})
ACL_SCOPE = "the r_organization_admin scope"
PROFILE_SCOPES = "the openid and profile scopes"
PAGE_SIZE = 100  # ACL entries asked per page
MOST_PAGES = 10  # a member with more than 1,000 page roles is not expected

# get(path, action, **requests_kwargs): one GET to LinkedIn, its answer whatever the status.
Get = Callable[..., requests.Response]


def _unanswered(response: requests.Response, action: str, scope: str) -> str:
    """The notice for a read LinkedIn did not answer, or the error when the account itself is
    at fault (token refused, version retired) or LinkedIn cannot answer just now."""
    status = response.status_code
    if status in (401, 426, 429) or status >= 500:
        raise error_for(response, f"checking {action}", datetime.now(UTC), fix=ACCOUNT_FIX)
    why = (
        f"the token lacks {scope}"
        if status == 403
        else f"LinkedIn answered {status} {response.reason or ''}".rstrip()
    )
    return (
        f"could not confirm {action} ({why}); publishing goes ahead, and if LinkedIn refuses "
        f"a post its message names the missing scope or role. Add {scope} to the token to "
        "have this checked"
    )


def page(get: Get, author: str) -> tuple[str, list[str]]:
    """(handle, notices) for posting as page ``author``; raises :class:`PermanentError` when
    the member has no role on it that may post."""
    action = f"the member's role on {author}"
    roles: list[str] = []
    for number in range(MOST_PAGES):
        response = get(
            "/rest/organizationAcls",
            action,
            params={
                "q": "roleAssignee",
                "state": "APPROVED",
                "start": number * PAGE_SIZE,
                "count": PAGE_SIZE,
            },
        )
        if not response.ok:
            return author, [_unanswered(response, action, ACL_SCOPE)]
        body = json_object(response)
        elements = [e for e in body.get("elements") or [] if isinstance(e, dict)]
        roles += [str(e.get("role")) for e in elements if e.get("organization") == author]
        total = (body.get("paging") or {}).get("total")
        if not elements or not isinstance(total, int) or total <= (number + 1) * PAGE_SIZE:
            break
    if not POSTING_ROLES & set(roles):
        held = f"is only {' and '.join(sorted(roles))} of" if roles else "has no role on"
        raise PermanentError(
            f"the access token's member {held} {author}, so it cannot post there: a Super admin "
            "of the page can make them Content admin or Super admin (Admin tools → Manage "
            "admins), or set CAMPAIGN_LINKEDIN_AUTHOR to a page they administer"
        )
    return _page_name(get, author), []


def _page_name(get: Get, author: str) -> str:
    """``Name (linkedin.com/company/vanity)`` when LinkedIn tells it, else ``author``."""
    ident = author.rpartition(":")[2]
    response = get(f"/rest/organizations/{ident}", "reading the page's name")
    page = json_object(response) if response.ok else {}
    name, vanity = page.get("localizedName"), page.get("vanityName")
    if not name:
        return author
    return f"{name} (linkedin.com/company/{vanity})" if vanity else str(name)


def member(get: Get, author: str) -> tuple[str, list[str]]:
    """(handle, notices) for posting as member ``author``; raises :class:`PermanentError`
    when the token is another member's."""
    action = f"that the token is {author}'s"
    response = get("/v2/userinfo", action)
    if not response.ok:
        return author, [_unanswered(response, action, PROFILE_SCOPES)]
    profile = json_object(response)
    if profile.get("sub") != author.rpartition(":")[2]:
        raise PermanentError(
            f"the access token belongs to urn:li:person:{profile.get('sub')}, not {author}; "
            "set CAMPAIGN_LINKEDIN_AUTHOR to the token's member or use that member's token"
        )
    return f"{profile.get('name') or author} ({author})", []
