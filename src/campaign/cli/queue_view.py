"""How the queue commands show the ledger to people: tables of posts and what a sync did.

Text from the ledger goes through :func:`~campaign.records.text.visible` and into
:class:`~rich.text.Text` cells, so no post can send control sequences to the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

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


def queue_table(posts: Sequence[QueuedPost], width: int, title: str | None = None) -> Table:
    """A table of posts: local time, platform, state, attempts, text excerpt and id.

    Every column but the text keeps its full width; the text gets what is left of ``width``.
    """
    rows = [
        (
            f"{p.local_time:%Y-%m-%d %H:%M %Z}",
            visible(p.platform),
            visible(p.state),
            str(p.attempts),
            p.text,
            visible(p.id),
        )
        for p in posts
    ]
    headers = ("Local time", "Platform", "State", "Tries", "Text", "Id")
    fixed = sum(max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers)) if i != 4)
    # SIMPLE_HEAD puts 3 characters between columns and 1 at each edge.
    text_width = max(4, width - fixed - 3 * (len(headers) - 1) - 2)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        table.add_column(header, no_wrap=True, justify="right" if header == "Tries" else "left")
    for when, platform, state, attempts, text, post_id in rows:
        table.add_row(
            Text(when),
            Text(platform),
            Text(state, style=STATE_STYLES.get(state, "")),
            attempts,
            Text(excerpt(text, text_width)),
            Text(post_id, style="dim"),
        )
    return table


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
    console.print(queue_table(posts, console.width, title=title))
    if len(ids) > SHOWN:
        console.print(f"… and {len(ids) - SHOWN} more; see `campaign queue --json`.")
