"""Who a daemon is (``host:pid:token``, :class:`~campaign.store.worker.WorkerId`) and whether
another one is still alive.

A post left in ``sending`` belongs to a worker; it may only be recovered once that worker is
known to be gone: its heartbeat is stale or it said it stopped, or it ran on this host under a
process id that no longer runs (or that is ours now: a restarted container is pid 1 again).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from campaign.store.worker import Heartbeat, WorkerId

__all__ = ["WorkerId", "is_gone", "live_workers", "pid_running"]


def pid_running(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def live_workers(beats: list[Heartbeat], now: datetime, stale_after: timedelta) -> set[str]:
    """Workers whose heartbeat is recent and who have not said they stopped."""
    return {b.worker for b in beats if not b.stopped and now - b.beat_at <= stale_after}


def is_gone(worker: str | None, me: WorkerId, live: set[str]) -> bool:
    """Whether ``worker`` (the holder of a claim) can no longer finish what it claimed."""
    if worker is None:
        return True
    if worker == str(me):
        return False
    other = WorkerId.parse(worker)
    if other is not None and other.host == me.host:
        if other.pid == me.pid:
            return True  # an earlier incarnation under the same pid
        if not pid_running(other.pid):
            return True
    return worker not in live
