"""The campaign report as one self-contained HTML file, fit to attach to a periodic report:
summaries per campaign, event and platform with bar charts drawn inline as SVG, the best
posts (by people's clicks and interactions), and each campaign's funding acknowledgement.
Nothing in it is fetched from elsewhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine

from campaign.results.report import COUNTS, ENGAGEMENT, Report, Row, campaign_report

BEST = 5  # how many of the best posts the report lists
SECTIONS = (("campaign", "Per campaign"), ("event", "Per event"), ("platform", "Per platform"))
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Bar:
    """One bar of an inline SVG chart: its label, value and length in pixels."""

    label: str
    value: int
    width: int
    y: int


def bars(rows: Sequence[Row], width: int = 420, step: int = 22) -> list[Bar]:
    """Bars of people's clicks per row, the longest ``width`` pixels."""
    top = max((row.clicks_humans for row in rows), default=0) or 1
    return [
        Bar(row.key, row.clicks_humans, round(width * row.clicks_humans / top), n * step)
        for n, row in enumerate(rows)
    ]


def html_report(
    engine: Engine,
    *,
    campaign: str | None = None,
    event: str | None = None,
    since: date | None = None,
    funding: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """The report for the posts ``campaign_report`` would count, as one HTML document.

    ``funding`` maps a campaign slug to its funding acknowledgement (``vars.funding`` in its
    campaign file). Raises what :func:`campaign_report` raises.
    """
    grouped = {
        by: campaign_report(engine, campaign=campaign, event=event, since=since, by=by)
        for by in ("campaign", "event", "platform", "post")
    }
    posts: Report = grouped["post"]
    best = sorted(posts.rows, key=_rank)[:BEST]
    shown = [row.key for row in grouped["campaign"].rows]
    return _TEMPLATES.get_template("report.html").render(
        grouped=grouped,
        sections=(
            ("campaign", "Per campaign"),
            ("event", "Per event"),
            ("platform", "Per platform"),
        ),
        counts=COUNTS,
        engagement=ENGAGEMENT,
        best=[row for row in best if any(_rank(row)[:4])],  # clicked, engaged with or seen
        bars=bars,
        funding={slug: text for slug, text in (funding or {}).items() if slug in shown},
        scope={"campaign": campaign, "event": event, "since": since},
        made=(now or datetime.now(UTC)).strftime("%-d %B %Y, %H:%M UTC"),
        value=_value,
    )


def _rank(row: Row) -> tuple[int, int, int, int, str]:
    """Best first: people who clicked plus people who interacted, then clicks, views, bots."""
    views = row.engagement["impressions"] or 0
    return (
        -(row.clicks_humans + row.interactions),
        -row.clicks_humans,
        -views,
        -row.clicks_bots,
        row.key,
    )


def _value(row: Row, name: str) -> str:
    value = row.engagement[name] if name in row.engagement else getattr(row, name)
    return "–" if value is None else f"{value:,}"
