"""The one small interface every platform adapter implements.

An adapter turns one queued post (or one part of a thread) into a post on its platform and
maps every way the platform can fail into :mod:`campaign.errors`. What a platform *is* (its
limits and image rules) is :mod:`campaign.platforms`; an adapter is how we *talk* to it. Each
platform has one adapter class here (with its settings as ``settings_type``), listed in
:mod:`campaign.adapters.registry`, and one fake server in ``tests/fakes/``.

Only the daemon and ``campaign accounts`` import adapters, so planning and previews never pay
for the client libraries (tweepy, Mastodon.py, atproto, …).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Protocol, Self

from campaign.adapters._config import AdapterSettings
from campaign.adapters.engagement import Engagement
from campaign.errors import PermanentError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.bluesky import LinkCard
from campaign.platforms.images import Image
from campaign.platforms.mastodon import MastodonLimits


class Publishable(Protocol):
    """A planned or queued post, as far as publishing it is concerned."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def media(self) -> tuple[Image, ...]: ...
    @property
    def links(self) -> tuple[str, ...]: ...
    @property
    def scheduled_at(self) -> datetime: ...
    @property
    def language(self) -> str | None: ...


@dataclass(frozen=True)
class Outgoing:
    """What an adapter is asked to publish: one post or one part of a thread.

    ``reply_to`` is the remote id of the previous part and ``thread_root`` that of the first
    part (both ``None`` for a single post or a thread's first part). ``post_id`` is our stable
    id; adapters use it as an idempotency key where the platform has one. ``scheduled_at``
    (UTC) is when the post was planned; Bluesky dates its deterministic record key with it.
    ``card`` is the link card read when the post was scheduled (see :meth:`Adapter.card_link`).
    ``language`` is the post's BCP 47 language, for the platforms that take one (Mastodon,
    Bluesky); ``None`` leaves it to the platform.
    """

    post_id: str
    text: str
    media: tuple[Image, ...] = ()
    reply_to: str | None = None
    thread_root: str | None = None
    links: tuple[str, ...] = ()
    scheduled_at: datetime | None = None
    card: LinkCard | None = None
    language: str | None = None

    @classmethod
    def of(
        cls, post: Publishable, reply_to: str | None = None, thread_root: str | None = None
    ) -> Outgoing:
        """What the adapter is asked to publish for ``post``, a part of a thread when
        ``reply_to`` and ``thread_root`` name the remote ids before it."""
        return cls(
            post_id=post.id,
            text=post.text,
            media=post.media,
            reply_to=reply_to,
            thread_root=thread_root,
            links=post.links,
            scheduled_at=post.scheduled_at,
            language=post.language,
        )


@dataclass(frozen=True)
class Receipt:
    """Proof of a published post: the platform's id for it and its public address."""

    remote_id: str
    url: str | None = None


class Adapter(ABC):
    """A live connection to one account on one platform.

    ``look_back_reliable`` says whether :meth:`look_back` returning ``None`` proves the
    platform never got the post (so the daemon may send it again) or only that we could not
    find it (so a person must decide). ``metrics_batch``: how many posts one
    :meth:`engagement` call may read (one request).
    """

    spec: ClassVar[PlatformSpec]
    settings_type: ClassVar[type[AdapterSettings]]
    look_back_reliable: ClassVar[bool] = False
    metrics_batch: ClassVar[int] = 1

    @classmethod
    def from_settings(cls, settings: AdapterSettings) -> Self:
        """The adapter for ``settings`` (of :attr:`settings_type`), sending nothing yet."""
        return cls(settings)  # type: ignore[call-arg]  # each adapter takes its settings

    @abstractmethod
    def publish(self, post: Outgoing) -> Receipt:
        """Publish ``post`` and return its receipt.

        Raises one of :class:`~campaign.errors.RetryableError`,
        :class:`~campaign.errors.RateLimited`, :class:`~campaign.errors.PermanentError` or
        :class:`~campaign.errors.OutcomeUnknown`.
        """

    @abstractmethod
    def check_credentials(self) -> str:
        """Verify the credentials against the platform and return the account's handle.

        Raises :class:`~campaign.errors.PermanentError` with what to fix when they are refused.
        """

    def notices(self, today: date) -> list[str]:
        """Warnings that hold nothing back (a scope a read needed, an API version near its
        retirement), from the settings and the last :meth:`check_credentials`; none here."""
        return []

    @abstractmethod
    def look_back(self, post: Outgoing) -> Receipt | None:
        """Find ``post`` on the account if an earlier attempt did publish it, else ``None``."""

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """The public figures of the posts ``remote_ids`` (at most :attr:`metrics_batch`), by
        remote id; a post the platform no longer has reads as not available.

        The default: this platform reports none. Raises what :meth:`look_back` raises.
        """
        why = f"{self.spec.title} reports no engagement figures to campaign"
        return dict.fromkeys(remote_ids, Engagement.not_available(why))

    def preflight(self, post: Outgoing) -> None:
        """Refuse, before any request, what the platform's published rules refuse: a text
        over its limit as it counts length, or images it would not take. These are the very
        rules planning applied (:mod:`campaign.platforms`), so a post ``validate`` accepted
        passes here and one it refused cannot reach the platform.

        Raises :class:`~campaign.errors.PermanentError` saying what to fix.
        """
        self.check_rules(post, self.spec)

    def check_rules(self, post: Outgoing, spec: PlatformSpec) -> None:
        """Raise :class:`~campaign.errors.PermanentError` if ``spec`` refuses ``post``."""
        length = spec.count(post.text)
        if length > spec.limit:
            raise PermanentError(
                f"the text has {length} {spec.unit}; {spec.title} takes at most {spec.limit}: "
                "shorten the template ('campaign preview' shows each post's length)"
            )
        spec.check_images(post.media)

    def card_link(self, text: str) -> str | None:
        """The page whose link card a post of ``text`` shows, or ``None``: the publisher then
        passes the card read at ``schedule`` as :attr:`Outgoing.card`. No card by default."""
        return None

    def read_limits(self) -> MastodonLimits | None:
        """The limits the account's server sets, read from it, where a server sets its own
        (Mastodon); ``None`` for platforms with one set of limits. Raises as
        :meth:`check_credentials` does."""
        return None

    def close(self) -> None:  # noqa: B027 - most adapters hold nothing to release
        """Release connections; the default holds nothing."""

    @property
    def account_key(self) -> str:
        """Which account rate limits apply to; one adapter is one account by default."""
        return self.spec.name
