"""The daemon's notion of "now": UTC wall-clock time, optionally shifted for tests.

Every decision the daemon takes (is a post due, is it late, is a heartbeat stale) reads
:meth:`Clock.now`; APScheduler, which only wakes us up, runs on the system clock, so a job
for a ledger instant is set at :meth:`Clock.to_system` of that instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """UTC time shifted by ``offset``.

    The offset is a test hook (``CAMPAIGN_CLOCK_OFFSET_SECONDS``) that lets a subprocess
    daemon live "just before" a planned instant, e.g. a DST change; production runs with 0.
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """The current instant as the daemon sees it (aware, UTC)."""
        return datetime.now(UTC) + self.offset

    def to_system(self, instant: datetime) -> datetime:
        """The system-clock instant at which :meth:`now` will read ``instant``."""
        return instant - self.offset
