"""How ``campaign preview`` shows posts to people, in time order: each whole (as its platform
shows it, with its link card), or one line each (``--compact``).

Everything from files goes through :func:`~campaign.records.text.visible` and into
:class:`~rich.text.Text` (never markup), so no post can move the cursor, recolour or
reverse the terminal, or inject Rich markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from campaign.cli._links import link, linked, print_wrapped
from campaign.cli._tables import Column, Fit, fitted_table
from campaign.platforms.base import PlatformSpec
from campaign.platforms.bluesky import display_text
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
    if post.language:
        header.append(f"  {visible(post.language)}", style="green")
    if post.thread_size > 1:
        header.append(f"  thread {post.thread}/{post.thread_size}", style="yellow")
    if post.is_past(now):
        header.append("  past", style="dim italic")
    return header


INDENT = 2


def _footer(post: Post, spec: PlatformSpec, card: Mapping[str, Any] | None) -> list[Text]:
    """Length (against whose limit), event and id; then each link the text does not show
    whole (a short link, or a Bluesky display link) once, with where it leads; images, the
    link card and notes."""
    facts = Text(f"{post.length}/{post.limit} {spec.unit}", style="green")
    if post.limit_from:
        facts.append(f" ({visible(post.limit_from)})", style="green")
    facts.append(f"  event {visible(post.event)}  id {visible(post.id)}", style="dim")
    lines = [facts]
    for label, target in _hidden_targets(post, spec).items():
        line = Text("short link: " if label in _short_links(post) else "link: ", style="blue")
        line.append_text(link(label, "blue"))
        line.append(" → ", style="dim")
        line.append_text(link(target, "dim"))
        lines.append(line)
    for item in post.media:
        lines.append(Text(f"image: {visible(item.name)} (alt: {visible(item.alt)})", style="dim"))
    if card is not None:
        lines.append(Text(f"card: {visible(_card_line(card))}", style="dim"))
    if post.time_note:
        lines.append(Text(f"note: {visible(post.time_note)}", style="yellow"))
    return lines


def _hidden_targets(post: Post, spec: PlatformSpec) -> dict[str, str]:
    """Each link as the text shows it, mapped to where it leads, when that differs: short
    links, and links a platform shows shortened (Bluesky's display form)."""
    targets = _short_links(post)
    if spec.display(post.text) != post.text:
        shown = spec.display(post.text).encode()
        for facet in display_text(post.text).links:
            label = visible(shown[facet.byte_start : facet.byte_end].decode())
            targets.setdefault(label, visible(facet.uri))
    return targets


def _short_links(post: Post) -> dict[str, str]:
    """Each short URL of ``post`` and the tagged URL it redirects to, in order, once."""
    tracked: Sequence[TrackedLink] = post.extra.get("tracked_links", ())
    return {visible(t.short): visible(t.tagged) for t in tracked if t.short}


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
    """Print ``posts`` one after another, each text as its platform shows it (measured as
    ``specs``, a server's own limits, say; with its link card from ``cards`` by post id),
    then a one-line summary.

    Text is wrapped at spaces only: no link is broken across lines, and each is clickable
    where the terminal supports it.
    """
    now = now or datetime.now(UTC)
    cards = cards or {}
    specs = specs or {}
    for post in posts:
        spec = specs.get(post.platform) or platform_spec(post.platform)
        text = visible(spec.display(post.text))
        labels = _hidden_targets(post, spec)
        console.print(_header(post, now), soft_wrap=True)
        links = {visible(url): visible(url) for url in post.links} | labels
        print_wrapped(console, linked(text, links), INDENT)
        for line in _footer(post, spec, cards.get(post.id)):
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


# One line per post in `preview --compact`; the language column only when a post has one.
LANGUAGE: tuple[Column, Callable[[Post], str]] = (Column("Lang"), lambda post: post.language or "")
COMPACT: tuple[tuple[Column, Callable[[Post], str]], ...] = (
    (Column("Local time"), lambda post: f"{post.local_time:%a %Y-%m-%d %H:%M}"),
    (Column("Platform"), lambda post: post.platform),
    LANGUAGE,
    (Column("Announcement", Fit.CUT), lambda post: post.announcement),
    (Column("Event", Fit.CUT), lambda post: post.event),
    (Column("Length", right=True), lambda post: f"{post.length}/{post.limit}"),
    (Column("Text", Fit.REST, floor=8), lambda post: " ".join(_shown(post).split())),
)


def _shown(post: Post) -> str:
    """The text as the platform shows it (Bluesky shortens links)."""
    return platform_spec(post.platform).display(post.text)


def render_compact(console: Console, posts: Sequence[Post], now: datetime | None = None) -> None:
    """Print ``posts`` as a table, one line each, then the summary line."""
    shown = (
        COMPACT
        if any(post.language for post in posts)
        else tuple(cell for cell in COMPACT if cell is not LANGUAGE)
    )
    rows = [[Text(visible(cell(post)), style=_over(post)) for _, cell in shown] for post in posts]
    if rows:
        table = fitted_table([column for column, _ in shown], rows, console.width)
        console.print(table, crop=False)
    _summary(console, posts, now or datetime.now(UTC))


def _over(post: Post) -> str:
    return "bold red" if post.over_limit else ""
