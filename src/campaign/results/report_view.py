"""The campaign report in the terminal (a Rich table with totals) and as CSV."""

from __future__ import annotations

import csv
import io

from rich import box
from rich.table import Table

from campaign.results.report import COUNTS, ENGAGEMENT, Report, Row

# Column headings short enough for an 80-column terminal.
HEADINGS = {
    "posts": "posts",
    "sent": "sent",
    "failed": "failed",
    "clicks_humans": "people",
    "clicks_bots": "bots",
    "likes": "likes",
    "reposts": "reposts",
    "replies": "replies",
    "quotes": "quotes",
    "impressions": "views",
}


def report_table(report: Report) -> Table:
    """One line per group, a totals line, engagement shown as "–" where unknown."""
    title = f"Results by {report.by} (clicks by people and by bots)"
    table = Table(
        title=title, show_footer=True, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1)
    )
    total = report.total
    # Engagement columns only once some platform reported some: a row of dashes says nothing.
    known = any(value is not None for value in total.engagement.values())
    shown = COUNTS if known else tuple(name for name in COUNTS if name not in ENGAGEMENT)
    if not known:
        table.caption = "No engagement (likes, reposts, replies, quotes, views) reported yet."
    table.add_column(report.by, footer="total", overflow="fold", min_width=8)
    for name in shown:
        table.add_column(HEADINGS[name], justify="right", footer=_cell(_value(total, name)))
    for row in report.rows:
        table.add_row(row.key, *(_cell(_value(row, name)) for name in shown))
    return table


def report_csv(report: Report) -> str:
    """The report as CSV: a header line of the JSON field names, then one line per row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=report.fields(), lineterminator="\n")
    writer.writeheader()
    for row in report.to_json():
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _value(row: Row, name: str) -> int | None:
    if name in row.engagement:
        return row.engagement[name]
    value: int = getattr(row, name)
    return value


def _cell(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"
