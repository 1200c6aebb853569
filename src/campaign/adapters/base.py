"""The one small interface every platform adapter implements.

An adapter turns one rendered post (or one part of a thread) into a post on its platform and
maps every way the platform can fail into :mod:`campaign.errors`. Each platform lives in one
module of this package that defines ``SPEC``, a :class:`PlatformSpec`; the registry finds it
there, so adding a platform means adding that module and its fake server in ``tests/fakes/``.

Adapter modules import their client library (tweepy, Mastodon.py, atproto, …) inside
``SPEC.connect`` only, so planning and previews never pay for those imports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Protocol

from campaign.links.urls import UrlSpan

IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}


@dataclass(frozen=True)
class MediaItem:
    """An image attached to a post; ``alt`` is required by every platform we support."""

    path: Path
    alt: str
    mime_type: str


class Publishable(Protocol):
    """A planned or queued post, as far as publishing it is concerned."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def media(self) -> tuple[MediaItem, ...]: ...
    @property
    def links(self) -> tuple[str, ...]: ...
    @property
    def scheduled_at(self) -> datetime: ...


@dataclass(frozen=True)
class Outgoing:
    """What an adapter is asked to publish: one post or one part of a thread.

    ``reply_to`` is the remote id of the previous part and ``thread_root`` that of the first
    part (both ``None`` for a single post or a thread's first part). ``post_id`` is our stable
    id; adapters use it as an idempotency key where the platform has one. ``scheduled_at``
    (UTC) is when the post was planned; Bluesky dates its deterministic record key with it.
    """

    post_id: str
    text: str
    media: tuple[MediaItem, ...] = ()
    reply_to: str | None = None
    thread_root: str | None = None
    links: tuple[str, ...] = ()
    scheduled_at: datetime | None = None

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
        )


@dataclass(frozen=True)
class ImageRules:
    """What one platform takes: ``max_bytes`` per MIME type (a type not listed is refused;
    ``None``: no limit in bytes), the longest alt text (``None``: no limit), and how many
    images one post may carry."""

    platform: str
    max_bytes: Mapping[str, int | None]
    max_alt: int | None
    max_images: int

    @property
    def accepted(self) -> str:
        """The accepted formats for people: ``JPEG, PNG or GIF``."""
        names = [IMAGE_FORMATS[mime] for mime in self.max_bytes]
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


@dataclass(frozen=True)
class Receipt:
    """Proof of a published post: the platform's id for it and its public address."""

    remote_id: str
    url: str | None = None


class Measure(Protocol):
    """How a platform measures a post's text; ``urls``, when given, are ``url_spans(text)``.

    The renderer finds a post's URLs while tagging its links and passes them on, so
    measures that count URLs need not look for them again.
    """

    def __call__(self, text: str, urls: Sequence[UrlSpan] | None = None, /) -> int:
        """The length of ``text`` as the platform counts it."""


@dataclass(frozen=True)
class PlatformSpec:
    """Everything the rest of `campaign` needs to know about one platform.

    ``count`` measures a text the way the platform does and ``limit`` is the most it takes;
    ``connect`` builds a live adapter from the environment (raising
    :class:`~campaign.errors.ConfigurationError` naming the missing variables).
    ``threads`` is False where the platform has none: a thread template then becomes one post.
    ``images`` says which images it takes, checked when planning and again before upload.
    """

    name: str
    title: str
    limit: int
    unit: str
    count: Measure
    connect: Callable[[Mapping[str, str] | None], Adapter]
    images: ImageRules
    threads: bool = True
    extras: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_media(self) -> int:
        """How many images one post may carry."""
        return self.images.max_images

    def check_images(self, items: Sequence[MediaItem]) -> None:
        """Read ``items`` and raise :class:`~campaign.errors.PermanentError` saying what to
        fix if this platform would refuse them, so planning catches what uploading would."""
        from campaign.adapters._images import load_images  # it builds on this module

        load_images(items, self.images)


class Adapter(ABC):
    """A live connection to one account on one platform.

    ``look_back_reliable`` says whether :meth:`look_back` returning ``None`` proves the
    platform never got the post (so the daemon may send it again) or only that we could not
    find it (so a person must decide).
    """

    spec: ClassVar[PlatformSpec]
    look_back_reliable: ClassVar[bool] = False

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

    @abstractmethod
    def look_back(self, post: Outgoing) -> Receipt | None:
        """Find ``post`` on the account if an earlier attempt did publish it, else ``None``."""

    def close(self) -> None:  # noqa: B027 - most adapters hold nothing to release
        """Release connections; the default holds nothing."""

    @property
    def account_key(self) -> str:
        """Which account rate limits apply to; one adapter is one account by default."""
        return self.spec.name
