"""Checks a plan against the platforms' quotas over sliding windows, before anything is
queued: too many posts of one account within any window a platform limits is a warning
naming the window and its posts (the daemon would otherwise be held up by rate limits, or
the platform refuse posts).

All posts of one platform count together: the ledger publishes each platform from one
account, with one app's credentials. ``schedule`` adds the posts the ledger already holds
for other campaigns (anything with the few fields of :class:`Timed` will do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import Any, Protocol

from campaign.platforms.quotas import Quota
from campaign.platforms.registry import platform as platform_spec

SHOWN_POSTS = 5
"""How many of a window's posts a warning lists by name."""


class Timed(Protocol):
    """A post as the quota check needs it: a planned :class:`~campaign.render.post.Post` or
    one the ledger holds."""

    @property
    def id(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def announcement(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def scheduled_at(self) -> datetime: ...


@dataclass(frozen=True)
class QuotaWarning:
    """Posts of one platform within one ``quota.window`` using more than its limit."""

    quota: Quota
    posts: tuple[Timed, ...]

    @property
    def used(self) -> int:
        """What the posts use of the quota, in its unit."""
        return len(self.posts) * self.quota.cost

    def __str__(self) -> str:
        first, last = self.posts[0].scheduled_at, self.posts[-1].scheduled_at
        shown = ", ".join(_name(post) for post in self.posts[:SHOWN_POSTS])
        more = len(self.posts) - SHOWN_POSTS
        if more > 0:
            shown += f" and {more} more"
        quota = self.quota
        points = f" ({self.used:,} points)" if quota.unit == "points" else ""
        title = platform_spec(quota.platform).title
        return (
            f"{title}: {len(self.posts)} posts{points} from {first:%Y-%m-%d %H:%M} to "
            f"{last:%H:%M} UTC, within {quota.window_text}, over the limit of "
            f"{quota.describe()}: {shown}; spread them out, or set "
            f"CAMPAIGN_QUOTA_{quota.key.upper()} if your limit differs"
        )

    def to_json(self) -> dict[str, Any]:
        """The warning as ``--summary-json`` writes it."""
        return {
            "platform": self.quota.platform,
            "quota": self.quota.key,
            "window_seconds": int(self.quota.window.total_seconds()),
            "limit": self.quota.limit,
            "unit": self.quota.unit,
            "used": self.used,
            "from": self.posts[0].scheduled_at.isoformat(),
            "to": self.posts[-1].scheduled_at.isoformat(),
            "posts": [post.id for post in self.posts],
            "message": str(self),
        }


def quota_warnings(posts: Iterable[Timed], quotas: Sequence[Quota]) -> list[QuotaWarning]:
    """Every burst of ``posts`` over one of ``quotas``, in time order per quota.

    Each window is tried from each post's time; once a window is over the limit, it is
    reported with all its posts and the search goes on after its last post, so one burst
    gives one warning.
    """
    by_platform = {
        name: sorted(group, key=attrgetter("scheduled_at"))
        for name, group in groupby(
            sorted(posts, key=attrgetter("platform")), attrgetter("platform")
        )
    }
    warnings: list[QuotaWarning] = []
    for quota in quotas:
        warnings.extend(_over(quota, by_platform.get(quota.platform, [])))
    return warnings


def _over(quota: Quota, posts: list[Timed]) -> Iterable[QuotaWarning]:
    """The bursts of ``posts`` (one platform's, in time order) over ``quota``."""
    start = end = 0
    while start < len(posts):
        closes = posts[start].scheduled_at + quota.window
        end = max(end, start)
        while end < len(posts) and posts[end].scheduled_at < closes:
            end += 1
        if (end - start) * quota.cost > quota.limit:
            yield QuotaWarning(quota, tuple(posts[start:end]))
            start = end
        else:
            start += 1


def _name(post: Timed) -> str:
    """A post as warnings name it: id, announcement, event and time."""
    return f"{post.id} ({post.announcement}, {post.event}, {post.scheduled_at:%H:%M})"
