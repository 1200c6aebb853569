"""A post's text as HTML, as the platforms show it: links, hashtags and mentions marked, and
links clickable at their full length. Everything else is escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from campaign.platforms.urls import url_spans

_TAGS = re.compile(r"(?<![\w/#@])(#\w+|@\w+(?:\.\w+)*(?:@[\w-]+(?:\.[\w-]+)+)?)")


def highlight(text: str) -> Markup:
    """``text`` as safe HTML with links (``<a>``), hashtags and mentions marked."""
    pieces: list[str] = []
    cursor = 0
    for span in url_spans(text):
        pieces.append(_words(text[cursor : span.start]))
        href = span.url if "://" in span.url else f"https://{span.url}"
        link = f'<a class="link" href="{escape(href)}" rel="noopener noreferrer">'
        pieces.append(f"{link}{escape(span.url)}</a>")
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
