"""Short codes given to planned posts after planning, once the key is known.

A plan made without a short-code key (``CAMPAIGN_LINKS_SECRET`` unset) carries placeholder
short links (:data:`~campaign.tagging.shortcodes.PLACEHOLDER_CODE`), as long as real ones,
so every length check already holds. ``campaign schedule`` then takes the ledger's key and
:func:`with_codes` puts each link's real code in place; ``campaign preview`` does the same
when a ledger with a key exists. The same post and link always get the same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pydantic import SecretStr

from campaign.render.post import Post
from campaign.tagging.shortcodes import PLACEHOLDER_CODE, short_code
from campaign.tagging.tracking import TrackedLink


def _tracked(post: Post) -> Sequence[TrackedLink]:
    links: Sequence[TrackedLink] = post.extra.get("tracked_links", ())
    return links


def _placeholder(link: TrackedLink) -> bool:
    return link.short is not None and link.code is None


def needs_codes(posts: Sequence[Post]) -> bool:
    """Whether any of ``posts`` carries a placeholder short link."""
    return any(_placeholder(link) for post in posts for link in _tracked(post))


def with_codes(posts: Sequence[Post], secret: SecretStr) -> list[Post]:
    """``posts`` with every placeholder short link replaced by its code under ``secret``,
    in the text, the links and the tracked links alike."""
    return [_coded(post, secret) if needs_codes([post]) else post for post in posts]


def _coded(post: Post, secret: SecretStr) -> Post:
    text = post.text
    cursor = 0
    tracked: list[TrackedLink] = []
    for link in _tracked(post):
        if link.short is not None and link.code is None:
            code = short_code(secret, post.id, link.tagged)
            short = link.short.removesuffix(PLACEHOLDER_CODE) + code
            at = text.index(link.short, cursor)
            text = text[:at] + short + text[at + len(link.short) :]
            cursor = at + len(short)
            link = TrackedLink(link.original, link.tagged, short, code)
        tracked.append(link)
    return dataclasses.replace(
        post,
        text=text,
        links=tuple(link.final for link in tracked),
        extra={**post.extra, "tracked_links": tuple(tracked)},
    )
