"""Mastodon: each server sets its own limits; these are the defaults, and how to read a server's.

Out of the box a server takes 500 characters (URLs count 23, remote mentions as local),
threads, up to four JPEG, PNG, GIF or WebP images of 16 MB and alt text of up to 1,500
characters. A server publishes what it really takes at ``GET /api/v2/instance``
(``configuration.statuses`` and ``configuration.media_attachments``);
:meth:`MastodonLimits.from_instance` reads that answer and :meth:`MastodonLimits.spec` turns it
into the :class:`PlatformSpec` that planning and the adapter check posts against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import IMAGE_FORMATS, MB, ImageRules
from campaign.platforms.length import MASTODON_URL_LENGTH, mastodon_length
from campaign.platforms.urls import UrlSpan

DEFAULT_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DEFAULT = "default"


@dataclass(frozen=True)
class MastodonLength:
    """Mastodon's measure with a server's URL length (see :func:`mastodon_length`)."""

    url_length: int = MASTODON_URL_LENGTH

    def __call__(self, text: str, urls: Sequence[UrlSpan] | None = None, /) -> int:
        """The length of ``text`` as this server counts it."""
        return mastodon_length(text, urls, self.url_length)


@dataclass(frozen=True)
class MastodonLimits:
    """What one Mastodon server takes, named as ``/api/v2/instance`` names it.

    ``server`` is the server's domain, empty for Mastodon's defaults; ``read_at`` (aware UTC)
    is when the server was asked. ``image_matrix_limit`` is the most pixels an image may
    have (``None``: not stated).
    """

    max_characters: int = 500
    characters_reserved_per_url: int = MASTODON_URL_LENGTH
    max_media_attachments: int = 4
    supported_mime_types: tuple[str, ...] = DEFAULT_TYPES
    image_size_limit: int = 16 * MB
    image_matrix_limit: int | None = None
    description_limit: int = 1500
    server: str = ""
    read_at: datetime | None = field(default=None, compare=False)

    @classmethod
    def from_instance(
        cls, server: str, instance: Mapping[str, Any], read_at: datetime
    ) -> MastodonLimits:
        """The limits in an ``/api/v2/instance`` answer from ``server``; any limit the answer
        leaves out (older servers omit some) keeps Mastodon's default."""
        config = instance.get("configuration") or {}
        statuses = config.get("statuses") or {}
        media = config.get("media_attachments") or {}
        default = cls()
        types = media.get("supported_mime_types")
        images = tuple(t for t in types if t in IMAGE_FORMATS) if isinstance(types, list) else ()
        return cls(
            max_characters=_number(statuses, "max_characters", default.max_characters),
            characters_reserved_per_url=_number(
                statuses, "characters_reserved_per_url", default.characters_reserved_per_url
            ),
            max_media_attachments=_number(
                statuses, "max_media_attachments", default.max_media_attachments
            ),
            supported_mime_types=images or DEFAULT_TYPES,
            image_size_limit=_number(media, "image_size_limit", default.image_size_limit),
            image_matrix_limit=_number(media, "image_matrix_limit", 0) or None,
            description_limit=_number(media, "description_limit", default.description_limit),
            server=server,
            read_at=read_at,
        )

    @property
    def source(self) -> str:
        """Whose limits these are, for people: the server's name, or ``default``."""
        return self.server or DEFAULT

    def spec(self) -> PlatformSpec:
        """The platform as this server defines it: its length, URL length and image rules."""
        return replace(
            SPEC,
            limit=self.max_characters,
            unit=f"characters (URLs count {self.characters_reserved_per_url})",
            count=MastodonLength(self.characters_reserved_per_url),
            images=ImageRules(
                platform=f"Mastodon ({self.source})",
                max_bytes=dict.fromkeys(self.supported_mime_types, self.image_size_limit),
                max_alt=self.description_limit,
                max_images=self.max_media_attachments,
                max_pixels=self.image_matrix_limit,
            ),
            limits_from=self.source,
        )

    def describe(self) -> str:
        """The limits in one line for people: characters, URLs, images and alt text."""
        return (
            f"{self.max_characters} characters, URLs count {self.characters_reserved_per_url}, "
            f"{self.max_media_attachments} attachments of {self.image_size_limit / MB:g} MB, "
            f"alt text {self.description_limit}"
        )

    def to_json(self) -> dict[str, Any]:
        """The limits as the ledger stores them (without ``server`` and ``read_at``, which
        it keeps in columns of their own)."""
        values = asdict(self)
        del values["server"], values["read_at"]
        values["supported_mime_types"] = list(self.supported_mime_types)
        return values

    @classmethod
    def from_json(cls, values: Mapping[str, Any], server: str, read_at: datetime) -> MastodonLimits:
        """Limits stored by :meth:`to_json`, read back."""
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        known["supported_mime_types"] = tuple(known.get("supported_mime_types") or DEFAULT_TYPES)
        return cls(**known, server=server, read_at=read_at)


def _number(section: Mapping[str, Any], key: str, fallback: int) -> int:
    """``section[key]`` when it is a positive whole number, else ``fallback``."""
    value = section.get(key)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else fallback
    )


SPEC = PlatformSpec(
    name="mastodon",
    title="Mastodon",
    limit=500,
    unit="characters (URLs count 23)",
    count=MastodonLength(),
    images=ImageRules(
        platform="Mastodon",
        max_bytes=dict.fromkeys(DEFAULT_TYPES, 16 * MB),
        max_alt=1500,
        max_images=4,
    ),
    threads=True,
    limits_from=DEFAULT,
)
IMAGES = SPEC.images
