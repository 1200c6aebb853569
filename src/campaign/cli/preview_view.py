"""How ``campaign preview`` shows posts to people: one panel per post, in time order.

Everything from files goes through :func:`~campaign.records.text.visible` and into
:class:`~rich.text.Text` (never markup), so no post can move the cursor, recolour or
reverse the terminal, or inject Rich markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

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
    if post.language:
        header.append(f"  {visible(post.language)}", style="green")
    if post.thread_size > 1:
        header.append(f"  thread {post.thread}/{post.thread_size}", style="yellow")
    if post.is_past(now):
        header.append("  past", style="dim italic")
    return header


def _footer(post: Post) -> Text:
    unit = platform_spec(post.platform).unit
    footer = Text(f"{post.length}/{post.limit} {unit}", style="green", overflow="fold")
    footer.append(f"  event {visible(post.event)}  id {visible(post.id)}", style="dim")
    for link in post.links:
        footer.append(f"\nlink: {visible(link)}", style="blue")
    for item in post.media:
        footer.append(f"\nimage: {visible(item.name)} (alt: {visible(item.alt)})", style="dim")
    if post.time_note:
        footer.append(f"\nnote: {visible(post.time_note)}", style="yellow")
    return footer


def render_preview(console: Console, posts: Sequence[Post], now: datetime | None = None) -> None:
    """Print ``posts`` as panels, then a one-line summary."""
    now = now or datetime.now(UTC)
    for post in posts:
        body = Group(Text(visible(post.text), overflow="fold"), Text(), _footer(post))
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
