"""A coarse class for a visitor's User-Agent: ``bot``, ``mobile``, ``desktop`` or ``other``.

Bots are recognised by ``crawlerdetect`` (a maintained port of the CrawlerDetect list);
the rest by a few well-known platform tokens. Nothing finer is kept: the report needs to
tell people from crawlers and phones from computers, not fingerprint anyone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from crawlerdetect import CrawlerDetect

AGENT_CLASSES = ("desktop", "mobile", "bot", "other")

_MOBILE = re.compile(r"Mobi|Android|iPhone|iPad|iPod|Windows Phone|BlackBerry|Opera Mini")
_DESKTOP = re.compile(r"Windows NT|Macintosh|X11|Linux|CrOS")
_CRAWLERS = CrawlerDetect()
# Link-preview fetchers that fetch a post's links to draw its card, which the CrawlerDetect
# list does not name: Bluesky's card fetcher (Cardyb), Mastodon servers, Iframely, Embedly.
_PREVIEWERS = re.compile(r"Cardyb|Mastodon/|Iframely|Embedly|SkypeUriPreview", re.IGNORECASE)


class Agent(NamedTuple):
    """What a click records about the visitor's software."""

    kind: str
    is_bot: bool


@lru_cache(maxsize=4096)
def classify(user_agent: str | None) -> Agent:
    """The coarse class of ``user_agent``; an empty or missing one is a bot (browsers always
    send one), and so is a link-preview fetcher."""
    agent = (user_agent or "").strip()
    if not agent or _PREVIEWERS.search(agent) or _CRAWLERS.is_crawler(agent):
        return Agent("bot", True)
    if _MOBILE.search(agent):
        return Agent("mobile", False)
    if _DESKTOP.search(agent):
        return Agent("desktop", False)
    return Agent("other", False)
