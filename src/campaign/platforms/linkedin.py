"""LinkedIn: 3,000 characters, no threads (a thread is joined into one post), one JPEG, PNG or
GIF image of fewer than 36,152,320 pixels (width x height), alt text up to 4,086 characters
(the Images API's rules); and when each monthly API version (``LinkedIn-Version``) retires."""

from __future__ import annotations

from datetime import date, timedelta

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import ImageRules
from campaign.platforms.length import characters

MAX_PIXELS = 36_152_320

IMAGES = ImageRules(
    platform="LinkedIn",
    max_bytes=dict.fromkeys(("image/jpeg", "image/png", "image/gif"), None),
    max_alt=4086,
    max_images=1,
    max_pixels=MAX_PIXELS,
)

SPEC = PlatformSpec(
    name="linkedin",
    title="LinkedIn",
    limit=3000,
    unit="characters",
    count=characters,
    images=IMAGES,
    threads=False,
)

# The day LinkedIn stops serving each ``LinkedIn-Version`` (it answers 426 from then on).
# Source: LinkedIn Marketing API "API Migration Status" table,
# https://learn.microsoft.com/linkedin/marketing/integrations/migrations, checked 2026-12-03
# (versioning policy: https://learn.microsoft.com/linkedin/marketing/versioning). LinkedIn
# releases a version each month (not every month: there was no 202512) and serves it for at
# least a year; a version the table does not list is taken to retire on the 15th of its month
# a year later (the listed ones retire between the 15th and the 22nd).
VERSION_RETIREMENTS: dict[str, date] = {
    "202407": date(2025, 7, 22),
    "202408": date(2025, 8, 18),
    "202409": date(2025, 9, 15),
    "202410": date(2025, 10, 15),
    "202411": date(2025, 11, 17),
    "202510": date(2026, 10, 15),
    "202511": date(2026, 11, 16),
    "202601": date(2027, 1, 15),
    "202602": date(2027, 2, 15),
    "202603": date(2027, 3, 16),
}
VERSION_WARNING = timedelta(days=30)  # warn this long before a version retires


def retirement(version: str) -> date:
    """The day LinkedIn stops serving ``version`` (``YYYYMM``, a ``.NN`` patch ignored): from
    :data:`VERSION_RETIREMENTS`, else the 15th of its month a year later."""
    month = version[:6]
    known = VERSION_RETIREMENTS.get(month)
    return known or date(int(month[:4]) + 1, int(month[4:6]), 15)


def recent_version(today: date) -> str:
    """A version surely released by ``today`` and served for about a year: last month's."""
    last_month = today.replace(day=1) - timedelta(days=1)
    return f"{last_month:%Y%m}"
