"""The live Mastodon adapter, over Mastodon.py.

Imported by :func:`campaign.adapters.registry.connect` only, so planning and previews never load
Mastodon.py. See :mod:`campaign.adapters.mastodon` for settings and behaviour.
"""

from __future__ import annotations

import html
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from mastodon import Mastodon, MastodonAPIError, MastodonError

from campaign.adapters import _mastodon_metrics
from campaign.adapters._config import AdapterSettings
from campaign.adapters._mastodon_errors import map_error, mastodon_errors, status_code
from campaign.adapters._mastodon_media import upload
from campaign.adapters._session import SteadySession
from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.adapters.engagement import Engagement
from campaign.adapters.mastodon import MastodonSettings
from campaign.errors import OutcomeUnknown, PermanentError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.mastodon import SPEC, MastodonLimits

log = logging.getLogger(__name__)

# Mastodon.py is told this version so that it never asks the instance (it would otherwise
# fall back to the v1 media API); every instance in service runs Mastodon 4 or later.
ASSUMED_VERSION = "4.0.0"
USER_AGENT = "campaign"
# Mastodon keeps an Idempotency-Key for an hour; a post scheduled less than this long ago
# has had every attempt inside that hour (with room for clock skew and slow requests).
KEY_PROOF_WINDOW = timedelta(minutes=55)
# The text search reads pages of the account's statuses back to the post's scheduled time
# (less this margin, for clocks that disagree), at most MAX_PAGES pages.
PAGE_SIZE = 40
MAX_PAGES = 5
SEARCH_MARGIN = timedelta(hours=1)

_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_REMOTE_MENTION = re.compile(r"(?<![\w/@])@(\w+)@[\w.-]+\.\w+")


class MastodonAdapter(Adapter):
    """One Mastodon account (see :mod:`campaign.adapters.mastodon`)."""

    spec: ClassVar[PlatformSpec] = SPEC
    settings_type: ClassVar[type[AdapterSettings]] = MastodonSettings
    look_back_reliable: ClassVar[bool] = True

    def __init__(
        self,
        settings: MastodonSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        token = settings.access_token.get_secret_value() if settings.access_token else ""
        self._api = Mastodon(
            access_token=token,
            api_base_url=settings.api_base_url,
            ratelimit_method="throw",
            request_timeout=settings.timeout_seconds,
            mastodon_version=ASSUMED_VERSION,
            version_check_mode="created",
            user_agent=USER_AGENT,
            session=SteadySession(),
        )
        self._visibility = settings.visibility
        self._sleep = sleep
        self._clock = clock
        self._account: Any = None  # the account as verify_credentials returned it, once known
        self._limits: MastodonLimits | None = None  # the server's own, once read

    def publish(self, post: Outgoing) -> Receipt:
        """Publish ``post`` (uploading its images first) and return its receipt.

        Our post id is the ``Idempotency-Key``, so a post sent again within the hour returns
        the status already made. Raises the :mod:`campaign.errors` classes listed on
        :meth:`Adapter.publish`; image problems raise PermanentError before anything is sent.
        """
        self.preflight(post)
        media_ids = [upload(self._api, image, self._sleep) for image in post.media]
        with mastodon_errors(self._api, "publish the post", creates_post=True):
            status = self._api.status_post(
                post.text,
                in_reply_to_id=post.reply_to,
                media_ids=media_ids or None,
                visibility=self._visibility,
                idempotency_key=post.post_id,
                language=post.language,
            )
        log.info("published %s on Mastodon as %s", post.post_id, status["id"])
        return _receipt(status)

    def preflight(self, post: Outgoing) -> None:
        """Check ``post`` against Mastodon's default limits and, only when those refuse it,
        against the server's own (read once per connection): a server may take more than
        500 characters. Raises :class:`~campaign.errors.PermanentError` saying what to fix."""
        try:
            super().preflight(post)
        except PermanentError:
            if self._limits is None:
                self._limits = self.read_limits()
            self.check_rules(post, self._limits.spec())

    def read_limits(self) -> MastodonLimits:
        """The server's own limits, from ``GET /api/v2/instance``, dated now."""
        with mastodon_errors(self._api, "read the server's limits"):
            instance = self._api.instance_v2()
        server = instance.get("domain") or urlsplit(str(self._api.api_base_url)).netloc
        return MastodonLimits.from_instance(str(server), instance, self._clock())

    def check_credentials(self) -> str:
        """Ask the instance whose token this is; return ``@user@instance``."""
        self._account = None
        account = self._me()
        host = urlsplit(str(account.get("url") or self._api.api_base_url)).hostname
        return f"@{account['username']}@{host}"

    def look_back(self, post: Outgoing) -> Receipt | None:
        """Find ``post`` if an earlier attempt published it, else prove it absent (None).

        First by its Idempotency-Key (an empty status with the key: Mastodon returns the
        original if the key was used in the last hour, else refuses the empty text and creates
        nothing), then by text and reply target among the account's statuses since the post's
        scheduled time. Raises :class:`OutcomeUnknown` when neither finds it and the post was
        scheduled too long ago (or has no scheduled time) for the key to prove anything: a
        person must check the account. Other failures raise as in :meth:`publish`.
        """
        found = self._by_key(post) or self._by_text(post)
        if found is not None:
            return found
        scheduled = post.scheduled_at
        if scheduled is not None and self._clock() - scheduled < KEY_PROOF_WINDOW:
            return None
        raise OutcomeUnknown(
            "Mastodon keeps a post's idempotency key for one hour only, and this post's earlier "
            "attempt may be older; no status with the same text was found among the account's "
            "recent statuses: check the account and mark the post published or retry it"
        )

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """Each status's favourites, boosts and replies (see :mod:`._mastodon_metrics`)."""
        with mastodon_errors(self._api, "read the status's figures"):
            return {status: _mastodon_metrics.read(self._api, status) for status in remote_ids}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._api.session.close()

    def _by_key(self, post: Outgoing) -> Receipt | None:
        """The status made with ``post``'s Idempotency-Key in the last hour, if any."""
        action = "look for the post by its idempotency key"
        try:
            status = self._api.status_post(
                "", visibility=self._visibility, idempotency_key=post.post_id
            )
        except MastodonError as exc:
            if isinstance(exc, MastodonAPIError) and status_code(exc) == 422:
                return None  # validation ran, so no status holds the key
            raise map_error(exc, self._api, action) from None
        return _receipt(status)

    def _by_text(self, post: Outgoing) -> Receipt | None:
        """The newest of the account's statuses with ``post``'s text and reply target."""
        account_id = self._me()["id"]
        wanted = comparable(post.text)
        since = post.scheduled_at - SEARCH_MARGIN if post.scheduled_at else None
        max_id = None
        for _ in range(MAX_PAGES):
            with mastodon_errors(self._api, "look for the post among the account's statuses"):
                page = self._api.account_statuses(
                    account_id, exclude_reblogs=True, limit=PAGE_SIZE, max_id=max_id
                )
            for status in page:
                same_reply = str(status.get("in_reply_to_id") or "") == (post.reply_to or "")
                if same_reply and comparable(text_of(status.get("content") or "")) == wanted:
                    return _receipt(status)
            if not page or since is None or _created(page[-1]) < since:
                return None
            max_id = page[-1]["id"]
        return None

    def _me(self) -> Any:
        """The account the token belongs to, asked once per adapter."""
        if self._account is None:
            with mastodon_errors(self._api, "check the account's access token"):
                self._account = self._api.account_verify_credentials()
        return self._account


def text_of(content: str) -> str:
    """The plain text of a status's HTML ``content``: line breaks kept, tags dropped."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))


def comparable(text: str) -> str:
    """``text`` reduced to what survives Mastodon's rendering, to compare a post with a status.

    Mastodon shows a remote mention ``@user@domain`` as ``@user``; Unicode is normalised and
    whitespace (paragraphs, line breaks) collapsed.
    """
    text = unicodedata.normalize("NFC", _REMOTE_MENTION.sub(r"@\1", text))
    return " ".join(text.split())


def _created(status: Any) -> datetime:
    created = status["created_at"]
    if isinstance(created, datetime):
        return created if created.tzinfo else created.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(created).replace("Z", "+00:00"))


def _receipt(status: Any) -> Receipt:
    return Receipt(remote_id=str(status["id"]), url=status.get("url") or status.get("uri"))
