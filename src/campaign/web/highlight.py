"""A post's text as HTML, as the platforms show it: links, hashtags and mentions marked, and
links clickable to their full target (Bluesky shows a link in its short display form, as its
app does). Everything else is escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from campaign.platforms.bluesky import display_url, link_target
from campaign.platforms.urls import url_spans

_TAGS = re.compile(r"(?<![\w/#@])(#\w+|@\w+(?:\.\w+)*(?:@[\w-]+(?:\.[\w-]+)+)?)")


def highlight(text: str, platform: str = "") -> Markup:
    """``text`` as safe HTML with links (``<a>``), hashtags and mentions marked; on Bluesky
    (``platform``) each link reads as its display form and opens the full URL."""
    pieces: list[str] = []
    cursor = 0
    for span in url_spans(text):
        pieces.append(_words(text[cursor : span.start]))
        href = link_target(span.url)
        shown = display_url(span.url) if platform == "bluesky" else span.url
        link = f'<a class="link" href="{escape(href)}" rel="noopener noreferrer">'
        pieces.append(f"{link}{escape(shown)}</a>")
        cursor = span.end
    pieces.append(_words(text[cursor:]))
    return Markup("".join(pieces))  # noqa: S704 - every piece of text was escaped above


def _words(text: str) -> str:
    """Plain text with hashtags and mentions wrapped in marked spans."""
    out: list[str] = []
    cursor = 0
    for match in _TAGS.finditer(text):
        out.append(str(escape(text[cursor : match.start()])))
        kind = "hashtag" if match.group(0).startswith("#") else "mention"
        out.append(f'<span class="{kind}">{escape(match.group(0))}</span>')
        cursor = match.end()
    out.append(str(escape(text[cursor:])))
    return "".join(out)
