"""The daemon's settings: the shared :class:`~campaign.settings.Settings` plus its own knobs.

Every knob is an environment variable with the ``CAMPAIGN_`` prefix (or a line in ``.env``):
``CAMPAIGN_POLL_SECONDS``, ``CAMPAIGN_GRACE_MINUTES``, ``CAMPAIGN_MAX_ATTEMPTS`` come from the
shared settings; the ones below only matter to the daemon.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from campaign.settings import Settings


class DaemonSettings(Settings):
    """Settings of ``campaign run``.

    ``backoff_seconds``/``backoff_cap_seconds``: first retry delay and its ceiling.
    ``workers``: threads publishing at once (one request at a time per account regardless).
    ``horizon_seconds``: how far ahead posts get an APScheduler job; later ones wait in the
    ledger, so start-up stays fast with a large ledger.
    ``heartbeat_stale_seconds``: a worker silent for longer is dead and its ``sending``
    posts are recovered (0 means three poll intervals, at least 30 s).
    ``clock_offset_seconds``: test hook only; shifts the daemon's clock (see ``Clock``).
    """

    backoff_seconds: float = Field(default=30.0, gt=0)
    backoff_cap_seconds: float = Field(default=900.0, gt=0)
    workers: int = Field(default=8, ge=1)
    horizon_seconds: float = Field(default=600.0, gt=0)
    heartbeat_stale_seconds: float = Field(default=0.0, ge=0)
    clock_offset_seconds: float = 0.0

    @property
    def grace(self) -> timedelta:
        """How late a post may still go out; older ones become ``missed``."""
        return timedelta(minutes=self.grace_minutes)

    @property
    def stale_after(self) -> timedelta:
        """How long a heartbeat may be silent before its worker counts as dead."""
        seconds = self.heartbeat_stale_seconds or max(3 * self.poll_seconds, 30.0)
        return timedelta(seconds=seconds)
