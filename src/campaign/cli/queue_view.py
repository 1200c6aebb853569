"""How the queue commands show the ledger to people: tables of posts and what a sync did.

Text from the ledger goes through :func:`~campaign.records.text.visible` and into
:class:`~rich.text.Text` cells, so no post can send control sequences to the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from campaign.cli._tables import Column, Fit, fitted_table
from campaign.records.text import visible

if TYPE_CHECKING:
    from campaign.store import QueuedPost, SyncReport

SHOWN = 20
STATE_STYLES = {
    "scheduled": "cyan",
    "sending": "yellow",
    "sent": "green",
    "failed": "bold red",
    "missed": "bold red",
    "cancelled": "dim",
    "unknown": "bold yellow",
}


def excerpt(text: str, width: int = 60) -> str:
    """The start of ``text`` on one line, cut at ``width`` characters, control codes shown."""
    line = visible(" ".join(text.split()))
    return line if len(line) <= width else line[: width - 1] + "…"


def describe(post: QueuedPost) -> str:
    """One line naming a post for a person: id, platform, local time (control codes shown)."""
    return visible(f"{post.id} ({post.platform}, {post.local_time:%a %Y-%m-%d %H:%M %Z})")


QUEUE_COLUMNS = (
    Column("Local time", Fit.WRAP, floor=len("2030-05-01")),
    Column("Platform"),
    Column("State"),
    Column("Tries", right=True),
    Column("Campaign / event / announcement", Fit.WRAP),
    Column("Text", Fit.REST, floor=4),
    Column("Id"),
)


def queue_table(posts: Sequence[QueuedPost], width: int | None, title: str | None = None) -> Table:
    """A table of posts: local time, platform, state, tries, campaign / event /
    announcement, the start of the text and the id (see :mod:`campaign.cli._tables` for how it fits
    ``width``; ``None`` shows every cell whole). Print it with ``crop=False``.
    """
    rows = [
        (
            Text(f"{p.local_time:%Y-%m-%d %H:%M %Z}"),
            Text(visible(p.platform)),
            Text(visible(p.state), style=STATE_STYLES.get(p.state, "")),
            Text(str(p.tries)),
            Text(visible(f"{p.campaign} / {p.event} / {p.announcement}")),
            Text(visible(" ".join(p.text.split()))),
            Text(visible(p.id), style="dim"),
        )
        for p in posts
    ]
    return fitted_table(QUEUE_COLUMNS, rows, width, title=title)


def print_published(console: Console, posts: Sequence[QueuedPost]) -> None:
    """Under the table, the link to each sent post on its platform, one whole line each
    (clickable where the terminal supports it)."""
    sent = [post for post in posts if post.state == "sent" and post.remote_url]
    if sent:
        console.print("Published:")
    for post in sent:
        url = visible(post.remote_url or "")
        line = Text(f"  {visible(post.id)}  ")
        line.append(url, style=Style(link=url))
        console.print(line, soft_wrap=True)


def render_sync(
    out: Console, err: Console, report: SyncReport, lookup: Callable[[str], QueuedPost]
) -> None:
    """Print what ``campaign schedule`` did; missed posts and conflicts go loudly to stderr."""
    out.print(
        f"[green]Ledger:[/] {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.cancelled)} cancelled, "
        f"{len(report.missed)} missed, {len(report.conflicts)} changed after sending."
    )
    for name, ids in (("Added", report.added), ("Updated", report.updated)):
        _section(out, name, ids, lookup)
    _section(out, "Cancelled (no longer in the files)", report.cancelled, lookup)
    if report.restored:
        out.print(
            f"[green]{len(report.restored)} post(s) cancelled by an earlier --prune are back in "
            "the files and scheduled again.[/]"
        )
        _section(out, "Restored", report.restored, lookup)
    if report.orphaned:
        out.print(
            f"[yellow]{len(report.orphaned)} unsent post(s) of these campaigns are no longer in "
            "the files and were left as they are; schedule again with --prune to cancel them.[/]"
        )
        _section(out, "No longer in the files", report.orphaned, lookup)
    if report.missed:
        err.print(
            f"[bold red]MISSED: {len(report.missed)} post(s) were already past their time by "
            "more than the grace window; they will NOT be sent.[/] Run `campaign retry ID` to "
            "send one anyway, or give it a later time and schedule again."
        )
        _section(err, "Missed", report.missed, lookup)
    if report.conflicts:
        err.print(
            f"[bold yellow]CHANGED AFTER SENDING: {len(report.conflicts)} post(s) changed in "
            "the files but were already sent (or are being sent, or may have been); the ledger "
            "keeps what went out.[/] Edit or delete them on the platform if needed."
        )
        _section(err, "Changed after sending", report.conflicts, lookup)


def _section(
    console: Console, title: str, ids: Sequence[str], lookup: Callable[[str], QueuedPost]
) -> None:
    if not ids:
        return
    posts = [lookup(post_id) for post_id in ids[:SHOWN]]
    console.print(queue_table(posts, console.width, title=title), crop=False)
    if len(ids) > SHOWN:
        console.print(f"… and {len(ids) - SHOWN} more; see `campaign queue --json`.")
