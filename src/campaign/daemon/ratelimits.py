"""Per-account gate: one request at a time per account, and a pause while it is rate-limited.

A rate limit belongs to an account (``adapter.account_key``), not to a post: while one
account waits for its reset time, posts of other accounts and platforms go on.
"""

from __future__ import annotations

import threading
from datetime import datetime


class AccountGate:
    """Per-account serialisation lock and "blocked until" times, shared by worker threads."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._lanes: dict[str, threading.RLock] = {}
        self._until: dict[str, datetime] = {}

    def lane(self, account: str) -> threading.RLock:
        """The lock to hold while talking to ``account`` (re-entrant within a thread).

        Holding it from claim until the outcome is recorded keeps at most one post per
        account in ``sending``, so a crash leaves the fewest posts whose fate must be looked
        up.
        """
        with self._guard:
            return self._lanes.setdefault(account, threading.RLock())

    def blocked_until(self, account: str, now: datetime) -> datetime | None:
        """When ``account`` may be used again, or ``None`` if it may be used now."""
        with self._guard:
            until = self._until.get(account)
            if until is not None and until <= now:
                del self._until[account]
                return None
            return until

    def block(self, account: str, until: datetime) -> None:
        """Keep ``account`` idle until ``until`` (the platform's reset time)."""
        with self._guard:
            self._until[account] = max(until, self._until.get(account, until))
