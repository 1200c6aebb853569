"""What a platform is, as the rest of `campaign` needs to know it: no I/O, no client library.

A :class:`PlatformSpec` holds a platform's names, its length limit and how it measures a text,
its image rules and whether it has threads. Planning reads it to render and check posts;
adapters read it to check a post again before sending. How to *talk* to a platform lives in
:mod:`campaign.adapters`, one layer up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from campaign.platforms.images import Image, ImageRules, check_images
from campaign.platforms.urls import UrlSpan


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

    ``name`` is how campaign files, the ledger and settings name it (``twitter``), ``aliases``
    are other names people use for it (``x``). ``count`` measures a text the way the platform
    does and ``limit`` is the most it takes, in ``unit``. ``threads`` is False where the
    platform has none: a thread template then becomes one post. ``images`` says which images
    it takes. ``limits_from`` says whose limits these are when a server sets its own: the
    server's name (``eupolicy.social``) once read from it, ``"default"`` while only the
    platform's defaults are known, and empty for platforms with one set of limits.
    ``display`` is the text as the platform will show it (Bluesky shortens links).
    """

    name: str
    title: str
    limit: int
    unit: str
    count: Measure
    images: ImageRules
    threads: bool = True
    aliases: tuple[str, ...] = ()
    limits_from: str = ""
    display: Callable[[str], str] = str

    @property
    def max_media(self) -> int:
        """How many images one post may carry."""
        return self.images.max_images

    def check_images(self, images: Sequence[Image]) -> None:
        """Raise :class:`~campaign.errors.PermanentError` saying what to fix if this platform
        would refuse ``images`` (one post's): see :func:`campaign.platforms.images.check_images`.
        """
        check_images(images, self.images)
