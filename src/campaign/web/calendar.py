"""Month, week and agenda views: which entries fall on which local day and hour.

Pure date arithmetic over :class:`~campaign.web.model.Entry` lists; the zone is the one the
reader chose (by default the campaign's), so a post at 07:30 UTC shows at 09:30 in
Amsterdam in summer.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from campaign.web.model import Entry

VIEWS = ("month", "week", "agenda")
# How many posts a day lists before "N more": a month's cell, a week's column, the agenda.
DAY_CAPS = {"month": 4, "week": 25, "agenda": 100}
AGENDA_DAYS = 31


@dataclass
class Day:
    """One local day and its entries in time order; ``more`` counts those not listed."""

    day: date
    in_range: bool = True
    entries: list[Entry] = field(default_factory=list)
    more: int = 0


@dataclass(frozen=True)
class Span:
    """The local days a view covers, ``first`` to ``last`` inclusive, and where to go next."""

    view: str
    first: date
    last: date
    previous: date
    following: date
    anchor: date

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants the view covers: from ``first`` 00:00 to after ``last``, local."""
        start = datetime.combine(self.first, time(), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone).astimezone(UTC)
        return start, end

    @property
    def label(self) -> str:
        """What the view shows, for headings: ``September 2017``, ``Week of 25 September 2017``."""
        if self.view == "month":
            return f"{stdlib_calendar.month_name[self.anchor.month]} {self.anchor.year}"
        if self.view == "week":
            return f"Week of {self.first:%-d %B %Y}"
        return f"{self.first:%-d %B %Y} to {self.last:%-d %B %Y}"


def span(view: str, anchor: date) -> Span:
    """The days of ``view`` around ``anchor``: its month (whole weeks, Monday first), its
    week, or ``AGENDA_DAYS`` days from it."""
    if view == "month":
        first_of_month = anchor.replace(day=1)
        days_in_month = stdlib_calendar.monthrange(anchor.year, anchor.month)[1]
        last_of_month = first_of_month + timedelta(days=days_in_month - 1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        last = last_of_month + timedelta(days=6 - last_of_month.weekday())
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        following = last_of_month + timedelta(days=1)
        return Span(view, first, last, previous, following, first_of_month)
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        return Span(view, first, last, first - timedelta(days=7), last + timedelta(days=1), first)
    last = anchor + timedelta(days=AGENDA_DAYS - 1)
    previous = anchor - timedelta(days=AGENDA_DAYS)
    return Span(view, anchor, last, previous, last + timedelta(days=1), anchor)


def edges(covered: Span, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants of each local midnight from ``covered.first`` to after
    ``covered.last``: day ``n`` runs from ``edges[n]`` to ``edges[n + 1]``."""
    count = (covered.last - covered.first).days + 2
    return [
        datetime.combine(covered.first + timedelta(days=n), time(), zone).astimezone(UTC)
        for n in range(count)
    ]


def days(
    covered: Span,
    held: Sequence[tuple[list[Entry], int]],
    planned: Sequence[Entry],
    zone: ZoneInfo,
    cap: int,
) -> list[Day]:
    """Every day of ``covered``: its ledger entries and total (``held``, one per day) with the
    ``planned`` entries that fall on it, at most ``cap`` listed and the rest counted."""
    cells = []
    for number, (entries, total) in enumerate(held):
        day = covered.first + timedelta(days=number)
        in_range = covered.view != "month" or day.month == covered.anchor.month
        extra = [e for e in planned if e.local(zone).date() == day]
        listed = sorted([*entries, *extra], key=lambda e: (e.scheduled_at, e.platform, e.id))
        cells.append(Day(day, in_range, listed[:cap], total + len(extra) - min(cap, len(listed))))
    return cells


def weeks(cells: list[Day]) -> list[list[Day]]:
    """``cells`` (whole weeks) cut into rows of seven days."""
    return [cells[start : start + 7] for start in range(0, len(cells), 7)]
