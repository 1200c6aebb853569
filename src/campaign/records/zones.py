"""Time zone names, checked against the IANA database."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_name(value: str) -> str:
    """``value`` if it names an IANA time zone, else a ValueError saying how to write one."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not a known time zone; use an IANA name such as Europe/Amsterdam"
            " or Europe/Brussels (see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)"
        ) from None
    return value
