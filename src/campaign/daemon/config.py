"""The daemon's settings: the shared :class:`~campaign.settings.Settings` plus its own knobs.

Every knob is an environment variable with the ``CAMPAIGN_`` prefix (or a line in ``.env``):
``CAMPAIGN_POLL_SECONDS``, ``CAMPAIGN_GRACE_MINUTES``, ``CAMPAIGN_MAX_ATTEMPTS`` come from the
shared settings; the ones below only matter to the daemon.
"""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import Field, field_validator

from campaign.settings import Settings

_AGE = re.compile(r"(\d+)\s*(m|h|d|w)")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class DaemonSettings(Settings):
    """Settings of ``campaign run``.

    ``backoff_seconds``/``backoff_cap_seconds``: first retry delay and its ceiling.
    ``workers``: threads publishing at once (one request at a time per account regardless).
    ``horizon_seconds``: how far ahead posts get an APScheduler job; later ones wait in the
    ledger, so start-up stays fast with a large ledger.
    ``heartbeat_stale_seconds``: a worker silent for longer is dead and its ``sending``
    posts are recovered (0 means three poll intervals, at least 30 s).
    ``metrics_at``: the ages after publishing at which a post's public figures are read
    (``1h,24h,7d``; minutes, hours, days or weeks; empty turns reading them off).
    ``clock_offset_seconds``: test hook only; shifts the daemon's clock (see ``Clock``).
    """

    backoff_seconds: float = Field(default=30.0, gt=0)
    backoff_cap_seconds: float = Field(default=900.0, gt=0)
    workers: int = Field(default=8, ge=1)
    horizon_seconds: float = Field(default=600.0, gt=0)
    heartbeat_stale_seconds: float = Field(default=0.0, ge=0)
    metrics_at: str = "1h,24h,7d"
    clock_offset_seconds: float = 0.0

    @field_validator("metrics_at")
    @classmethod
    def _ages(cls, value: str) -> str:
        parse_ages(value)
        return value

    @property
    def metrics_ages(self) -> tuple[timedelta, ...]:
        """``metrics_at`` as ages, shortest first (none: engagement is not read)."""
        return parse_ages(self.metrics_at)

    @property
    def grace(self) -> timedelta:
        """How late a post may still go out; older ones become ``missed``."""
        return timedelta(minutes=self.grace_minutes)

    @property
    def stale_after(self) -> timedelta:
        """How long a heartbeat may be silent before its worker counts as dead."""
        seconds = self.heartbeat_stale_seconds or max(3 * self.poll_seconds, 30.0)
        return timedelta(seconds=seconds)


def parse_ages(text: str) -> tuple[timedelta, ...]:
    """``"1h,24h,7d"`` as ages, shortest first, each once.

    Raises ValueError naming the part that is not an age and what to write instead.
    """
    ages: set[timedelta] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _AGE.fullmatch(part.lower())
        if match is None or int(match.group(1)) == 0:
            raise ValueError(
                f"{part!r} is not an age after publishing; write e.g. 1h,24h,7d (a whole number "
                "of m, h, d or w, separated by commas), or nothing to turn metrics off"
            )
        ages.add(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(ages))
