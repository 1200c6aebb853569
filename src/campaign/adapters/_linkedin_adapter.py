"""The live LinkedIn adapter: plain HTTP (``requests``) against the Posts and Images APIs.

LinkedIn's own Python client (``linkedin-api-client`` 0.3) is not used: its base URL is a
hard-coded constant, it sends requests without a timeout and has no call for uploading image
bytes, so the few calls needed here are clearer written directly. What each call does and
how failures map is in :mod:`campaign.adapters.linkedin`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from campaign.adapters import _linkedin_account, _linkedin_metrics, _linkedin_text
from campaign.adapters._config import AdapterSettings
from campaign.adapters._linkedin_errors import duplicate_of, error_for, json_object
from campaign.adapters._session import SteadySession
from campaign.adapters._transport import may_have_been_sent
from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.adapters.engagement import Engagement
from campaign.adapters.linkedin import LinkedInSettings
from campaign.errors import ConfigurationError, OutcomeUnknown, PermanentError, RetryableError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import Image
from campaign.platforms.linkedin import SPEC

PUBLIC_URL = "https://www.linkedin.com/feed/update/{urn}/"
LOOK_BACK_COUNT = 20


def _failure(response: requests.Response, action: str, *, sent_means_unknown: bool) -> Exception:
    """The error for LinkedIn's non-success ``response`` to ``action``.

    With ``sent_means_unknown`` a 504 (LinkedIn's gateway gave up waiting for the service
    that creates posts) is an :class:`OutcomeUnknown` rather than a retryable error.
    """
    if sent_means_unknown and response.status_code == 504:
        return OutcomeUnknown(
            f"LinkedIn's gateway timed out while {action}; it may have published it"
        )
    return error_for(response, action, datetime.now(UTC))


class LinkedInAdapter(Adapter):
    """One LinkedIn author (page or member) reached with one access token."""

    spec: ClassVar[PlatformSpec] = SPEC
    settings_type: ClassVar[type[AdapterSettings]] = LinkedInSettings
    look_back_reliable: ClassVar[bool] = False
    metrics_batch: ClassVar[int] = _linkedin_metrics.BATCH

    def __init__(self, settings: LinkedInSettings) -> None:
        """Use ``settings``, whose token and author :meth:`LinkedInSettings.require` checked."""
        if settings.access_token is None or settings.author is None:
            raise ConfigurationError("LinkedIn needs an access token and an author")
        self._settings = settings
        self._notes: list[str] = []  # what the last check_credentials could not confirm
        self._author = settings.author
        self._api = settings.api_url
        self._timeout = settings.timeout_seconds
        self._session = SteadySession()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {settings.access_token.get_secret_value()}",
                "LinkedIn-Version": settings.version,
                "X-Restli-Protocol-Version": "2.0.0",
                "User-Agent": "campaign (+https://pypi.org/project/campaign/)",
            }
        )
        self._metrics = _linkedin_metrics.Reader(self._send, self._api, self._author)

    def __repr__(self) -> str:
        return f"LinkedInAdapter(author={self._author!r}, api={self._api!r})"

    @property
    def account_key(self) -> str:
        """Rate limits apply per author: ``linkedin:urn:li:…``."""
        return f"{self.spec.name}:{self._author}"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """The posts' figures as far as the token's scope allows (see
        :mod:`._linkedin_metrics`); "not available" rather than an error when it allows none."""
        return self._metrics.read(remote_ids)

    def _send(
        self, method: str, url: str, action: str, *, sent_means_unknown: bool, **kw: Any
    ) -> requests.Response:
        """Send one request and return LinkedIn's answer, whatever its status.

        A request lost on the way raises :class:`RetryableError`; with ``sent_means_unknown``
        one lost after it was sent (read timeout, dropped connection) raises
        :class:`OutcomeUnknown`, as LinkedIn may have acted on it.
        """
        try:
            return self._session.request(method, url, timeout=self._timeout, **kw)
        except requests.RequestException as exc:
            failure = f"{type(exc).__name__} while {action}"
            if sent_means_unknown and may_have_been_sent(exc):
                raise OutcomeUnknown(
                    f"{failure}: LinkedIn may have published it; look back before retrying"
                ) from None
            raise RetryableError(f"{failure}; nothing was published") from None

    def _request(
        self, method: str, url: str, action: str, *, sent_means_unknown: bool = False, **kw: Any
    ) -> requests.Response:
        """Send one request and return its success answer, or raise the mapped error."""
        response = self._send(method, url, action, sent_means_unknown=sent_means_unknown, **kw)
        if not response.ok:
            raise _failure(response, action, sent_means_unknown=sent_means_unknown)
        return response

    def _upload(self, image: Image) -> str:
        """Upload one image through the Images API and return its ``urn:li:image:…``."""
        answer = json_object(
            self._request(
                "POST",
                f"{self._api}/rest/images",
                "registering the image upload",
                params={"action": "initializeUpload"},
                json={"initializeUploadRequest": {"owner": self._author}},
            )
        )
        value = answer.get("value")
        upload_url, urn = (value.get("uploadUrl"), value.get("image")) if value else (None, None)
        if not (isinstance(upload_url, str) and isinstance(urn, str)):
            raise RetryableError("LinkedIn's image upload answer had no uploadUrl or image URN")
        headers: dict[str, str | None] = {"Content-Type": image.media_type}
        host = urlsplit(upload_url).hostname or ""
        if host != urlsplit(self._api).hostname and not host.endswith(".linkedin.com"):
            headers["Authorization"] = None  # never hand the token to a foreign host
        self._request(
            "PUT", upload_url, f"uploading {image.name}", data=image.data, headers=headers
        )
        return urn

    def _body(self, post: Outgoing) -> dict[str, Any]:
        """The Posts API body for ``post``, uploading its image first."""
        if post.reply_to or post.thread_root:
            raise PermanentError(
                f"{post.post_id} replies to {post.reply_to or post.thread_root}, but LinkedIn "
                "has no threads: a thread template is published there as one post joining "
                "its parts, so a reply part should never reach LinkedIn; re-plan the campaign"
            )
        self.preflight(post)
        images = post.media
        body: dict[str, Any] = {
            "author": self._author,
            "commentary": _linkedin_text.commentary(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if images:
            image = images[0]
            body["content"] = {"media": {"id": self._upload(image), "altText": image.alt}}
        return body

    def publish(self, post: Outgoing) -> Receipt:
        """Create ``post`` as a LinkedIn post and return its URN and public address.

        Raises :class:`PermanentError` for a thread reply, a bad image, a refused token or a
        rejected post; :class:`RateLimited`, :class:`RetryableError` or
        :class:`OutcomeUnknown` as described in :mod:`campaign.adapters.linkedin`.
        """
        body = self._body(post)
        action = "creating the post"
        url = f"{self._api}/rest/posts"
        response = self._send("POST", url, action, sent_means_unknown=True, json=body)
        existing = duplicate_of(response)
        if existing is not None:
            return self._receipt(existing)
        if not response.ok:
            raise _failure(response, action, sent_means_unknown=True)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise OutcomeUnknown("LinkedIn accepted the post but sent no x-restli-id; look back")
        return self._receipt(urn)

    @staticmethod
    def _receipt(urn: str) -> Receipt:
        """The receipt of the post ``urn``."""
        return Receipt(remote_id=urn, url=PUBLIC_URL.format(urn=urn))

    def look_back(self, post: Outgoing) -> Receipt | None:
        """The author's recent post whose commentary is exactly ``post``'s, if among the last 20.

        Raises the same errors as :meth:`publish` when LinkedIn refuses to list the posts.
        """
        answer = json_object(
            self._request(
                "GET",
                f"{self._api}/rest/posts",
                "listing the author's recent posts",
                params={"author": self._author, "q": "author", "count": LOOK_BACK_COUNT},
                headers={"X-RestLi-Method": "FINDER"},
            )
        )
        wanted = _linkedin_text.commentary(post.text).strip()
        for element in answer.get("elements") or []:
            if str(element.get("commentary", "")).strip() == wanted and element.get("id"):
                return self._receipt(str(element["id"]))
        return None

    def check_credentials(self) -> str:
        """The author's readable name, after LinkedIn accepted the token.

        For a page: the member's role on it (:mod:`._linkedin_account`), then its name; for a
        member: the name from ``GET /v2/userinfo``, which must be the configured member. A
        read the token has no scope for is a notice (:meth:`notices`), not a failure.
        Raises :class:`PermanentError` saying what to fix when LinkedIn refuses the token, or
        the member may not post as the author.
        """
        kind = self._author.removeprefix("urn:li:").partition(":")[0]
        check = _linkedin_account.page if kind == "organization" else _linkedin_account.member
        handle, self._notes = check(self._get, self._author)
        return handle

    def notices(self, today: date) -> list[str]:
        """The version's retirement, and what the last check could not confirm."""
        return [*self._settings.notices(today), *self._notes]

    def _get(self, path: str, action: str, **kw: Any) -> requests.Response:
        """One GET about the account: LinkedIn's answer, whatever its status."""
        return self._send(
            "GET", f"{self._api}{path}", f"checking {action}", sent_means_unknown=False, **kw
        )
