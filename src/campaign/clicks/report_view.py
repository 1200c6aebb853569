"""The terminal view of a :class:`~campaign.clicks.report.ClickReport`: Rich tables with bars."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from campaign.clicks.report import ClickReport, Tally

BAR_WIDTH = 30


def bar(tally: Tally, largest: int, width: int = BAR_WIDTH) -> Text:
    """A bar of ``width`` cells at most: humans as ``█``, bots as ``░`` after them."""
    if largest <= 0:
        return Text()
    humans = round(width * tally.humans / largest)
    bots = round(width * tally.total / largest) - humans
    return Text.assemble(("█" * humans, "green"), ("░" * bots, "dim"))


def _totals_table(title: str, heading: str, totals: Mapping[str, Tally]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(heading)
    table.add_column("humans", justify="right")
    table.add_column("bots", justify="right")
    table.add_column("", no_wrap=True)
    largest = max((t.total for t in totals.values()), default=0)
    for name, tally in totals.items():
        table.add_row(name, str(tally.humans), str(tally.bots), bar(tally, largest))
    return table


def report_view(report: ClickReport) -> RenderableType:
    """Clicks per post, then per platform, announcement and day (``█`` humans, ``░`` bots)."""
    if not report.posts:
        return Text("No short links in the ledger yet: schedule a campaign with links.shorten.")
    posts = Table(title="Clicks per post", title_justify="left")
    for column in ("post", "campaign", "announcement", "platform"):
        posts.add_column(column)
    posts.add_column("humans", justify="right")
    posts.add_column("bots", justify="right")
    for post in report.posts:
        posts.add_row(
            post.post_id,
            post.campaign,
            post.announcement,
            post.platform,
            str(post.tally.humans),
            str(post.tally.bots),
        )
    total = report.total
    posts.add_section()
    posts.add_row("total", "", "", "", str(total.humans), str(total.bots))
    days = {day.isoformat(): tally for day, tally in report.by_day().items()}
    return Group(
        posts,
        _totals_table("Per platform", "platform", report.by(lambda p: p.platform)),
        _totals_table("Per announcement", "announcement", report.by(lambda p: p.announcement)),
        _totals_table("Per day (UTC)", "day", days),
    )
