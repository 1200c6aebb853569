"""When an announcement goes out: the ``at`` of a campaign file, resolved to a UTC instant.

``at`` is either an ISO date-time (in the campaign's zone unless it carries an offset) or
relative to the event:

- ``-30d 10:00``: 30 days before the day the event starts, at 10:00 on the wall clock;
- ``-1d``: one day before, at the event's own start time on the wall clock;
- ``-2h``, ``+90m``: an exact duration before or after the event starts;
- ``end+1d 10:00``, ``end-30m``: the same, counted from the end of the event.

Day offsets keep wall-clock time across DST changes ("10:00" stays 10:00 whatever the
offset); hour and minute offsets are exact durations. Wall-clock times are read in the
campaign's zone. A local time that does not exist (the spring-forward gap) moves forward by
the length of the gap (02:30 becomes 03:30); an ambiguous one (fall back, the hour that
happens twice) is the first occurrence, still on summer time. Either way the post carries a
note saying so, and ``preview`` shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

_RELATIVE = re.compile(
    r"^(?P<anchor>end|start)?\s*(?P<sign>[+-])?\s*(?P<n>\d+)\s*(?P<unit>[dhmw])"
    r"(?:\s+(?P<hh>\d{1,2}):(?P<mm>\d{2}))?$",
    re.IGNORECASE,
)
AT_HINT = "use e.g. '-7d 09:00', '0d 09:30', '-2h', 'end+1d 10:00' or an ISO date-time"


@dataclass(frozen=True)
class Resolved:
    """A planned instant in UTC, with a note when DST forced a choice."""

    utc: datetime
    note: str = ""


class _Offset(NamedTuple):
    """A relative ``at``, parsed: ``-30d 10:00`` is ``(False, -30, "d", (10, 0))``."""

    from_end: bool
    amount: int
    unit: str
    clock: tuple[int, int] | None


@lru_cache(maxsize=1024)
def _offset(text: str) -> _Offset | None:
    """``text`` parsed if it is a relative ``at``, else ``None``; parsed once, not per event."""
    match = _RELATIVE.match(text)
    if match is None:
        return None
    return _Offset(
        from_end=(match["anchor"] or "").lower() == "end",
        amount=int(match["n"]) * (-1 if match["sign"] == "-" else 1),
        unit=match["unit"].lower(),
        clock=(int(match["hh"]), int(match["mm"])) if match["hh"] is not None else None,
    )


def check(spec: str) -> str:
    """``spec`` if it is a valid ``at``, else a ValueError saying how to write one."""
    text = spec.strip()
    offset = _offset(text)
    if offset is not None:
        if offset.clock is not None and (offset.clock[0] > 23 or offset.clock[1] > 59):
            raise ValueError(f"{spec!r} has no valid time of day; {AT_HINT}")
        if offset.clock is not None and offset.unit in "hm":
            raise ValueError(f"{spec!r} gives a time of day after an hour offset; {AT_HINT}")
        return text
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{spec!r} is not a valid time; {AT_HINT}") from None
    return text


def resolve(spec: str, zone: ZoneInfo, starts: datetime, ends: datetime) -> Resolved:
    """The UTC instant of ``spec`` for an event that ``starts`` and ``ends`` (aware times)."""
    text = spec.strip()
    offset = _offset(text)
    if offset is None:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is not None:
            return Resolved(parsed.astimezone(UTC))
        return wall_clock(parsed, zone)
    anchor = ends if offset.from_end else starts
    amount, unit = offset.amount, offset.unit
    if unit in "hm":
        delta = timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount)
        return Resolved(anchor.astimezone(UTC) + delta)
    days = amount * (7 if unit == "w" else 1)
    local_anchor = anchor.astimezone(zone)
    when = (
        time(*offset.clock)
        if offset.clock is not None
        else local_anchor.time().replace(tzinfo=None)
    )
    return wall_clock(datetime.combine(local_anchor.date() + timedelta(days=days), when), zone)


def wall_clock(naive: datetime, zone: ZoneInfo) -> Resolved:
    """The UTC instant of the local time ``naive`` in ``zone``, by the DST rule above."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return Resolved(first.astimezone(UTC))
    utc = first.astimezone(UTC)
    shown = naive.strftime("%Y-%m-%d %H:%M")
    if utc.astimezone(zone).replace(tzinfo=None) == naive:
        later = second.astimezone(zone).strftime("%H:%M %Z")
        note = (
            f"{shown} happens twice in {zone.key} (clocks go back); "
            f"using the first, {first.strftime('%H:%M %Z')}, not {later}"
        )
    else:
        moved = utc.astimezone(zone).strftime("%H:%M %Z")
        note = f"{shown} does not exist in {zone.key} (clocks go forward); moved to {moved}"
    return Resolved(utc, note)
