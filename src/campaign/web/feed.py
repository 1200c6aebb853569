"""The publishing plan as an iCalendar feed (RFC 5545) that Outlook and Google Calendar can
subscribe to: one event per post (a thread's parts inside one event).

Each event's ``UID`` is the post's id, so a calendar updates it in place; ``SEQUENCE`` and
``LAST-MODIFIED`` move on whenever the ledger changes the post; a cancelled post is
``STATUS:CANCELLED``. Written with the ``icalendar`` library, which folds and escapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from campaign.store.states import CANCELLED, FAILED, SENT
from campaign.web.model import PLANNED, Entry

PRODUCT = "-//campaign//publishing plan//EN"
DURATION = timedelta(minutes=15)  # how long a post shows in a calendar
SEQUENCE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_STATUS = {CANCELLED: "CANCELLED", PLANNED: "TENTATIVE"}


def calendar_feed(entries: Sequence[Entry], now: datetime, name: str = "Publishing plan") -> bytes:
    """``entries`` as one iCalendar document (``now``, UTC, stamps it)."""
    feed = Calendar()
    feed.add("prodid", PRODUCT)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", name)
    for entry in entries:
        feed.add_component(_event(entry, now))
    ical: bytes = feed.to_ical()
    return ical


def _event(entry: Entry, now: datetime) -> Event:
    event = Event()
    event.add("uid", entry.id)
    event.add("dtstamp", now)
    event.add("dtstart", entry.scheduled_at)
    event.add("dtend", entry.scheduled_at + DURATION)
    summary = entry.title
    if entry.state in (SENT, FAILED):
        summary += f" ({entry.state})"
    event.add("summary", summary)
    event.add("description", _description(entry))
    event.add("categories", [entry.platform])
    event.add("status", _STATUS.get(entry.state, "CONFIRMED"))
    if entry.updated_at is not None:
        event.add("last-modified", entry.updated_at)
        event.add("sequence", _sequence(entry))
    published = next((part.remote_url for part in entry.parts if part.remote_url), None)
    if published:
        event.add("url", published)
    return event


def _description(entry: Entry) -> str:
    texts = "\n---\n".join(part.text for part in entry.parts)
    lines = [texts, "", f"State: {entry.state}", f"Post id: {entry.id}"]
    errors = [part.last_error for part in entry.parts if part.last_error]
    lines += [f"Problem: {error}" for error in errors]
    return "\n".join(lines)


def _sequence(entry: Entry) -> int:
    """A revision number that grows whenever the ledger changes the post: seconds from 2000
    to its last change (RFC 5545 asks that it grow, not that it grow by one; it fits the 32
    bits calendars keep until 2068)."""
    assert entry.updated_at is not None
    return max(0, int((entry.updated_at - SEQUENCE_EPOCH).total_seconds()))
