"""How many posts each platform takes from one account (or one app) over a window of time.

Each :class:`Quota` is a platform's published limit on creating posts, with where it is
published and when it was read there. ``validate``, ``preview`` and ``schedule`` check a
plan against them over sliding windows (:mod:`campaign.render.quota_check`) and warn
before anything is queued; the daemon still waits out any rate limit a platform answers.
Each has a ``key`` by which settings override its ``limit`` (``CAMPAIGN_QUOTA_<KEY>``).
Pure: nothing here reads a file, the environment or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` points over any ``window`` on ``platform``, each post costing
    ``cost`` points (1 where the platform counts posts); ``scope`` says whose posts count
    together (``account`` or ``app``: here both are all the posts one platform's settings
    publish)."""

    key: str
    platform: str
    window: timedelta
    limit: int
    scope: str
    source: str
    as_of: str
    cost: int = 1

    @property
    def unit(self) -> str:
        """What ``limit`` counts: posts, or the platform's points."""
        return "posts" if self.cost == 1 else "points"

    @property
    def window_text(self) -> str:
        """The window in words: ``15 minutes``, ``3 hours``, ``24 hours``."""
        minutes = int(self.window.total_seconds() // 60)
        if minutes % 60:
            return f"{minutes} minutes"
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"

    def describe(self) -> str:
        """The quota in words, with its source: for warnings."""
        per_post = f" at {self.cost} points a post" if self.cost != 1 else ""
        return (
            f"{self.limit:,} {self.unit} per {self.window_text} per {self.scope}{per_post} "
            f"({self.source}, {self.as_of})"
        )


_X = "https://docs.x.com/x-api/fundamentals/rate-limits (POST /2/tweets)"
_BLUESKY = "https://docs.bsky.app/docs/advanced-guides/rate-limits"
_MASTODON = "https://docs.joinmastodon.org/api/rate-limits/"
_LINKEDIN = "a cap of our own: LinkedIn publishes no fixed limit; set it to your app's quota"

QUOTAS: tuple[Quota, ...] = (
    Quota("twitter_15m", "twitter", timedelta(minutes=15), 100, "account", _X, "2026-12"),
    Quota("twitter_24h", "twitter", timedelta(hours=24), 10_000, "app", _X, "2026-12"),
    Quota("bluesky_1h", "bluesky", timedelta(hours=1), 5_000, "account", _BLUESKY, "2026-12", 3),
    Quota("bluesky_24h", "bluesky", timedelta(hours=24), 35_000, "account", _BLUESKY, "2026-12", 3),
    Quota("mastodon_3h", "mastodon", timedelta(hours=3), 300, "account", _MASTODON, "2026-12"),
    Quota("linkedin_24h", "linkedin", timedelta(hours=24), 150, "account", _LINKEDIN, "2026-12"),
)
"""Every platform's published limits on creating posts, as read on the date given."""


def quotas(overrides: Mapping[str, int | None]) -> tuple[Quota, ...]:
    """:data:`QUOTAS` with the ``limit`` of each quota whose key ``overrides`` names (and
    whose value is not ``None``) replaced."""
    return tuple(
        replace(quota, limit=limit) if (limit := overrides.get(quota.key)) is not None else quota
        for quota in QUOTAS
    )
