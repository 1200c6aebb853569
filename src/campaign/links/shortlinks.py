"""The short links a plan carries: each shortened link of each post, with its post.

:mod:`campaign.store.shortlinks` stores them in the ledger when the posts are scheduled, so
the redirector can answer them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from campaign.links.tracking import TrackedLink
from campaign.render.post import Post


@dataclass(frozen=True)
class ShortLink:
    """A short code, the one URL it redirects to, and the post that carries it."""

    code: str
    target: str
    post_id: str
    platform: str
    campaign: str
    announcement: str


def short_links_of(posts: Iterable[Post]) -> list[ShortLink]:
    """The short links of ``posts``, read from ``Post.extra["tracked_links"]``.

    That entry is a sequence of :class:`~campaign.links.tracking.TrackedLink`; links
    without a code (tagged but not shortened) are skipped.
    """
    links: list[ShortLink] = []
    for post in posts:
        tracked: Sequence[TrackedLink] = post.extra.get("tracked_links", ())
        links.extend(
            ShortLink(
                link.code, link.tagged, post.id, post.platform, post.campaign, post.announcement
            )
            for link in tracked
            if link.code
        )
    return links
