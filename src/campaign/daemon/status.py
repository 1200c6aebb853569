"""The health of publishing on one ledger, for ``campaign status`` and for monitors.

Healthy means: a daemon is alive (a heartbeat newer than the stale limit that did not say it
stopped, from a process that still exists when it ran on this host) and no post needs a
person. A post needs a person when it is ``unknown`` (whatever its age: someone must look on
the platform), ``failed`` or ``missed`` within the attention window (default 24 h), or still
``scheduled`` more than the grace window after it was due (nothing is publishing it: no
daemon, or its platform's credentials are missing).

Exit codes (:attr:`Health.exit_code`): 0 healthy; 3 no live daemon; 4 a daemon is alive but
posts need a person, or it says it cannot work (e.g. it cannot write outcomes to the ledger).
(1 and 2 keep their CLI meaning: error, usage.) Notices (:func:`platform_notices`: a LinkedIn
API version within 30 days of its retirement) are reported without changing the exit code:
nothing fails yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from campaign.adapters.linkedin import LinkedInSettings
from campaign.daemon.identity import WorkerId, pid_running
from campaign.errors import ConfigurationError
from campaign.store.ledger import Ledger
from campaign.store.queued import QueuedPost
from campaign.store.schema import PostRow
from campaign.store.states import FAILED, MISSED, SCHEDULED, SENT, UNKNOWN
from campaign.store.worker import Heartbeat, heartbeats

EXIT_HEALTHY = 0
EXIT_NO_DAEMON = 3
EXIT_ATTENTION = 4

_posts = PostRow.__table__


@dataclass(frozen=True)
class Health:
    """What ``campaign status`` reports."""

    checked_at: datetime
    workers: list[tuple[Heartbeat, bool]]  # every known worker, and whether it counts as alive
    counts: dict[str, int]
    upcoming: list[QueuedPost]
    recent: list[QueuedPost]
    attention: list[QueuedPost]
    overdue: list[QueuedPost]

    running: frozenset[str] = frozenset()  # workers running now (not merely ran recently)
    notices: tuple[str, ...] = ()  # warnings that hold nothing back yet

    @property
    def alive(self) -> bool:
        """Whether at least one daemon is alive on this ledger."""
        return any(alive for _, alive in self.workers)

    @property
    def problems(self) -> list[str]:
        """What live daemons say keeps them from working (e.g. outcomes they cannot write)."""
        return [
            f"{beat.worker}: {beat.problem}"
            for beat, alive in self.workers
            if alive and beat.problem
        ]

    @property
    def exit_code(self) -> int:
        """0 healthy, 3 no live daemon, 4 posts need a person (see the module docstring)."""
        if not self.alive:
            return EXIT_NO_DAEMON
        if self.attention or self.overdue or self.problems:
            return EXIT_ATTENTION
        return EXIT_HEALTHY

    def to_json(self) -> dict[str, Any]:
        """The report as ``campaign status --json`` prints it."""
        return {
            "healthy": self.exit_code == EXIT_HEALTHY,
            "exit_code": self.exit_code,
            "checked_at": self.checked_at.isoformat(),
            "daemon": {
                "alive": self.alive,
                "running": bool(self.running),
                "workers": [
                    {
                        "worker": beat.worker,
                        "host": beat.host,
                        "pid": beat.pid,
                        "started_at": beat.started_at.isoformat(),
                        "beat_at": beat.beat_at.isoformat(),
                        "stopped": beat.stopped,
                        "alive": alive,
                        "running": beat.worker in self.running,
                        "problem": beat.problem,
                    }
                    for beat, alive in self.workers
                ],
            },
            "counts": self.counts,
            "next": [p.to_json() for p in self.upcoming],
            "recent": [p.to_json() for p in self.recent],
            "attention": [p.to_json() for p in self.attention],
            "overdue": [p.to_json() for p in self.overdue],
            "notices": list(self.notices),
        }


def check(
    ledger: Ledger,
    now: datetime,
    *,
    stale_after: timedelta,
    grace: timedelta,
    window: timedelta = timedelta(hours=24),
    ran_within: timedelta | None = None,
    limit: int = 10,
    notices: tuple[str, ...] = (),
) -> Health:
    """The health of ``ledger`` at ``now``, passing on ``notices``.

    ``ran_within``: for ``campaign run --once`` from cron or a timer, a run that ended within
    this time counts as a live daemon too (alive, but not running).
    """
    beats = heartbeats(ledger)[:limit]
    running = frozenset(b.worker for b in beats if _running(b, now, stale_after))
    workers = [(b, b.worker in running or _ran(b, now, ran_within)) for b in beats]
    due_before = now - grace
    with ledger.engine.connect() as connection:
        by_state = select(_posts.c.state, func.count()).group_by(_posts.c.state)
        counts: dict[str, int] = {row[0]: row[1] for row in connection.execute(by_state)}

        def posts(*where: Any, order: Any, cap: int | None = limit) -> list[QueuedPost]:
            query = select(_posts).where(*where).order_by(order).limit(cap)
            return [QueuedPost.from_row(r) for r in connection.execute(query).mappings()]

        return Health(
            checked_at=now,
            workers=workers,
            running=running,
            notices=notices,
            counts=counts,
            upcoming=posts(_posts.c.state == SCHEDULED, order=_posts.c.scheduled_at),
            recent=posts(_posts.c.state == SENT, order=_posts.c.sent_at.desc()),
            attention=posts(
                or_(
                    _posts.c.state == UNKNOWN,
                    and_(_posts.c.state.in_((FAILED, MISSED)), _posts.c.updated_at >= now - window),
                ),
                order=_posts.c.updated_at.desc(),
                cap=None,
            ),
            overdue=posts(
                _posts.c.state == SCHEDULED,
                _posts.c.scheduled_at < due_before,
                or_(_posts.c.not_before.is_(None), _posts.c.not_before < due_before),
                order=_posts.c.scheduled_at,
            ),
        )


def platform_notices(today: date) -> tuple[str, ...]:
    """What the platforms' settings warn of on ``today`` without a request: the configured
    LinkedIn API version near (30 days) or past its retirement.

    Only LinkedIn's settings give notices; reading them costs nothing, while asking every
    adapter would load every platform's client library for ``campaign status``. Malformed
    settings give none here: the daemon and ``campaign accounts check`` report those.
    """
    try:
        settings = LinkedInSettings.load()
    except ConfigurationError:
        return ()
    return tuple(f"LinkedIn: {notice}" for notice in settings.notices(today))


def _running(beat: Heartbeat, now: datetime, stale_after: timedelta) -> bool:
    """A fresh heartbeat that did not say it stopped, from a process that still exists when
    it ran on this host (a daemon killed with ``kill -9`` is not left "running" until its
    heartbeat goes stale)."""
    if beat.stopped or now - beat.beat_at > stale_after:
        return False
    me = WorkerId.mine()
    worker = WorkerId.parse(beat.worker)
    if worker is not None and worker.host == me.host and worker.pid != me.pid:
        return pid_running(worker.pid)
    return True


def _ran(beat: Heartbeat, now: datetime, ran_within: timedelta | None) -> bool:
    return ran_within is not None and now - beat.beat_at <= ran_within
