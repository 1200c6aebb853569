"""How ``campaign preview`` shows posts to people: one panel per post, in time order.

Everything from files goes through :func:`~campaign.records.text.visible` and into
:class:`~rich.text.Text` (never markup), so no post can move the cursor, recolour or
reverse the terminal, or inject Rich markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from campaign.platforms.base import PlatformSpec
from campaign.platforms.bluesky import display_text
from campaign.platforms.registry import platform as platform_spec
from campaign.records.text import visible
from campaign.render.post import Post


def _header(post: Post, now: datetime) -> Text:
    local = post.local_time.strftime("%a %d %b %Y %H:%M %Z")
    utc = post.scheduled_at.strftime("%H:%M UTC")
    header = Text()
    header.append(local, style="bold")
    header.append(f" ({utc})", style="dim")
    header.append(f"  {platform_spec(post.platform).title}", style="bold cyan")
    header.append(f"  {visible(post.announcement)}", style="magenta")
    if post.thread_size > 1:
        header.append(f"  thread {post.thread}/{post.thread_size}", style="yellow")
    if post.is_past(now):
        header.append("  past", style="dim italic")
    return header


def _footer(post: Post, spec: PlatformSpec, card: Mapping[str, Any] | None) -> Text:
    footer = Text(f"{post.length}/{post.limit} {spec.unit}", style="green", overflow="fold")
    if post.limit_from:
        footer.append(f" ({visible(post.limit_from)})", style="green")
    footer.append(f"  event {visible(post.event)}  id {visible(post.id)}", style="dim")
    shown = spec.display(post.text)
    if shown != post.text:
        for link in display_text(post.text).links:
            label = shown.encode()[link.byte_start : link.byte_end].decode()
            footer.append(f"\nlink: {visible(label)} → {visible(link.uri)}", style="blue")
    else:
        for target in post.links:
            footer.append(f"\nlink: {visible(target)}", style="blue")
    for item in post.media:
        footer.append(f"\nimage: {visible(item.name)} (alt: {visible(item.alt)})", style="dim")
    if card is not None:
        footer.append(f"\ncard: {visible(_card_line(card))}", style="dim")
    if post.time_note:
        footer.append(f"\nnote: {visible(post.time_note)}", style="yellow")
    return footer


def _card_line(card: Mapping[str, Any]) -> str:
    """One line on a post's link card: what it shows, or why there is none yet."""
    if card["state"] == "stored":
        picture = "with image" if card["image"] else "no image"
        note = f"; {card['note']}" if card["note"] else ""
        return f"{card['title']} — {card['description'] or '(no description)'} ({picture}{note})"
    if card["state"] == "unreadable":
        return f"none, the post goes out with a plain link: {card['note']}"
    return str(card["state"])


def render_preview(
    console: Console,
    posts: Sequence[Post],
    now: datetime | None = None,
    cards: Mapping[str, Mapping[str, Any]] | None = None,
    specs: Mapping[str, PlatformSpec] | None = None,
) -> None:
    """Print ``posts`` as panels (each text as its platform shows it, with its link card from
    ``cards`` by post id, measured as ``specs`` (a server's own limits) say), then a
    one-line summary."""
    now = now or datetime.now(UTC)
    cards = cards or {}
    specs = specs or {}
    for post in posts:
        spec = specs.get(post.platform) or platform_spec(post.platform)
        text = spec.display(post.text)
        footer = _footer(post, spec, cards.get(post.id))
        body = Group(Text(visible(text), overflow="fold"), Text(), footer)
        console.print(Panel(body, title=_header(post, now), title_align="left", expand=False))
    past = sum(post.is_past(now) for post in posts)
    by_platform: dict[str, int] = {}
    for post in posts:
        by_platform[post.platform] = by_platform.get(post.platform, 0) + 1
    counts = ", ".join(f"{n} {name}" for name, n in sorted(by_platform.items()))
    console.print(
        f"{len(posts)} post(s) ({escape(visible(counts)) or 'none'}); {past} already past. "
        "Nothing was sent."
    )
