"""How ``campaign preview`` shows posts to people, in time order: each whole, or one line each
(``--compact``).

Everything from files goes through :func:`~campaign.records.text.visible` and into
:class:`~rich.text.Text` (never markup), so no post can move the cursor, recolour or
reverse the terminal, or inject Rich markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from campaign.cli._links import link, linked, print_wrapped
from campaign.cli._tables import Column, Fit, fitted_table
from campaign.platforms.registry import platform as platform_spec
from campaign.records.text import visible
from campaign.render.post import Post
from campaign.tagging.tracking import TrackedLink


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


INDENT = 2


def _footer(post: Post) -> list[Text]:
    """Length, event and id; then each shortened link once, with where it leads; images and
    notes. Links already in the text are not repeated."""
    unit = platform_spec(post.platform).unit
    facts = Text(f"{post.length}/{post.limit} {unit}", style="green")
    facts.append(f"  event {visible(post.event)}  id {visible(post.id)}", style="dim")
    lines = [facts]
    for short, target in _short_links(post).items():
        line = Text("short link: ", style="blue")
        line.append_text(link(short, "blue"))
        line.append(" → ", style="dim")
        line.append_text(link(target, "dim"))
        lines.append(line)
    for item in post.media:
        lines.append(Text(f"image: {visible(item.name)} (alt: {visible(item.alt)})", style="dim"))
    if post.time_note:
        lines.append(Text(f"note: {visible(post.time_note)}", style="yellow"))
    return lines


def _short_links(post: Post) -> dict[str, str]:
    """Each short URL of ``post`` and the tagged URL it redirects to, in order, once."""
    tracked: Sequence[TrackedLink] = post.extra.get("tracked_links", ())
    return {visible(t.short): visible(t.tagged) for t in tracked if t.short}


def render_preview(console: Console, posts: Sequence[Post], now: datetime | None = None) -> None:
    """Print ``posts`` one after another, then a one-line summary.

    Text is wrapped at spaces only: no link is broken across lines, and each is clickable
    where the terminal supports it.
    """
    now = now or datetime.now(UTC)
    for post in posts:
        console.print(_header(post, now), soft_wrap=True)
        print_wrapped(console, linked(visible(post.text), map(visible, post.links)), INDENT)
        for line in _footer(post):
            print_wrapped(console, line, INDENT)
        console.print()
    _summary(console, posts, now)


def _summary(console: Console, posts: Sequence[Post], now: datetime) -> None:
    past = sum(post.is_past(now) for post in posts)
    by_platform: dict[str, int] = {}
    for post in posts:
        by_platform[post.platform] = by_platform.get(post.platform, 0) + 1
    counts = ", ".join(f"{n} {name}" for name, n in sorted(by_platform.items()))
    console.print(
        f"{len(posts)} post(s) ({escape(visible(counts)) or 'none'}); {past} already past. "
        "Nothing was sent."
    )


# One line per post in `preview --compact`. When posts carry a language, its column is
# (Column("Lang"), lambda post: post.language) here.
COMPACT: tuple[tuple[Column, Callable[[Post], str]], ...] = (
    (Column("Local time"), lambda post: f"{post.local_time:%a %Y-%m-%d %H:%M}"),
    (Column("Platform"), lambda post: post.platform),
    (Column("Announcement", Fit.CUT), lambda post: post.announcement),
    (Column("Event", Fit.CUT), lambda post: post.event),
    (Column("Length", right=True), lambda post: f"{post.length}/{post.limit}"),
    (Column("Text", Fit.REST, floor=8), lambda post: " ".join(post.text.split())),
)


def render_compact(console: Console, posts: Sequence[Post], now: datetime | None = None) -> None:
    """Print ``posts`` as a table, one line each, then the summary line."""
    rows = [[Text(visible(cell(post)), style=_over(post)) for _, cell in COMPACT] for post in posts]
    if rows:
        table = fitted_table([column for column, _ in COMPACT], rows, console.width)
        console.print(table, crop=False)
    _summary(console, posts, now or datetime.now(UTC))


def _over(post: Post) -> str:
    return "bold red" if post.over_limit else ""
