"""Per-account gate: one request at a time per account, and a pause while it is rate-limited.

A rate limit belongs to an account (``adapter.account_key``), not to a post: while one
account waits for its reset time, posts of other accounts and platforms go on.

The thread holding an account's lane publishes the account's posts one after another: after
each, it claims the next in the transaction recording the outcome (see
:mod:`campaign.daemon.publisher`). A job for a post of that account that finds the lane held
does not wait for it: it leaves word (:meth:`Lane.enter`) and its thread goes back to the
pool, free for other accounts' posts; the holder reads the word before giving the lane back
(:meth:`Lane.release_if_idle`).
"""

from __future__ import annotations

import threading
from datetime import datetime
from types import TracebackType
from typing import Any


class Lane:
    """One account's lane: held by one thread at a time (re-entrant within it), with what
    jobs that found it held left for the holder: the tickets of thread parts (what each
    replies to), and a flag for first posts, which the holder finds in the ledger itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._line: dict[str, Any] = {}  # post id -> ticket, first come first
        self._nudged = False  # a first post came due while the lane was held
        self._publishing = False  # held by a thread publishing posts (see ``enter``)
        self._others: list[threading.Event] = []  # threads waiting to hold it

    def __enter__(self) -> Lane:
        self._take(publishing=False)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.release()

    @property
    def held(self) -> bool:
        """Whether a thread holds the lane now."""
        return self._owner is not None

    def enter(self, post_id: str, ticket: Any | None) -> bool:
        """Hold the lane to publish ``post_id`` (True: give it back with
        :meth:`release_if_idle` or :meth:`let_go`), or, when a thread publishing posts holds
        it, leave word for that thread and return False at once: ``ticket`` (a thread part's)
        to be taken with :meth:`take_next`, or, without one, the flag that makes the holder
        look in the ledger again before letting go. While the lane is held for anything else
        (a look-back, a reading), wait for it."""
        return self._take(publishing=True, post_id=post_id, ticket=ticket)

    def _take(self, *, publishing: bool, post_id: str = "", ticket: Any | None = None) -> bool:
        """Hold the lane (re-entrant), waiting while another thread holds it; but when
        ``publishing`` and that thread publishes too, leave word for it (see :meth:`enter`)
        and return False at once."""
        me = threading.get_ident()
        while True:
            with self._lock:
                if self._owner in (None, me):
                    self._owner = me
                    self._depth += 1
                    self._publishing = self._publishing or publishing
                    return True
                if publishing and self._publishing:
                    if ticket is None:
                        self._nudged = True
                    else:
                        self._line[post_id] = ticket
                    return False
                wake = threading.Event()
                self._others.append(wake)
            wake.wait()

    def try_hold(self) -> bool:
        """Hold the lane only if nobody holds it or waits for it (a look-back after a crash);
        True when held (give it back with :meth:`release`). For work that must never make a
        post wait, such as reading engagement."""
        with self._lock:
            if self._owner is not None or self._others:
                return False
            self._owner = threading.get_ident()
            self._depth = 1
            return True

    def nudge(self) -> bool:
        """Tell the thread publishing through the lane that a first post came due (as
        :meth:`enter` does without a ticket); False when no such thread holds it."""
        with self._lock:
            if self._owner is None or not self._publishing:
                return False
            self._nudged = True
            return True

    def take_next(self) -> Any | None:
        """The first ticket left for the holder, taken out of the line; ``None`` when none."""
        with self._lock:
            if not self._line:
                return None
            post_id = next(iter(self._line))
            return self._line.pop(post_id)

    def release_if_idle(self) -> bool:
        """Give the lane back (True), unless word was left since the holder last looked:
        then clear the flag and return False, still holding it, to look again. One step
        under the lane's lock, so no word left in between is lost."""
        with self._lock:
            if self._line or self._nudged:
                self._nudged = False
                return False
            woken = self._let_go_locked()
        self._wake(woken)
        return True

    def let_go(self) -> list[str]:
        """Give the lane back without taking up what was left (the account must pause, or the
        daemon stops): the ids of the thread parts whose tickets are dropped."""
        with self._lock:
            dropped, self._line, self._nudged = list(self._line), {}, False
            woken = self._let_go_locked()
        self._wake(woken)
        return dropped

    def release(self) -> None:
        """Give the lane back once (it is re-entrant); the last release lets the next go."""
        with self._lock:
            woken = self._let_go_locked()
        self._wake(woken)

    def _let_go_locked(self) -> list[threading.Event]:
        """Release once, holding ``_lock``; the threads to wake once it is let go."""
        self._depth -= 1
        if self._depth:
            return []
        self._owner = None
        self._publishing = False
        woken, self._others = self._others, []
        return woken

    @staticmethod
    def _wake(woken: list[threading.Event]) -> None:
        for wake in woken:
            wake.set()


class AccountGate:
    """Per-account serialisation lock and "blocked until" times, shared by worker threads."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._lanes: dict[str, Lane] = {}
        self._until: dict[str, datetime] = {}
        self._accounts: dict[str, str] = {}  # platform -> the account its posts went out as

    def busy(self, account: str) -> bool:
        """Whether a thread holds ``account``'s lane now."""
        with self._guard:
            lane = self._lanes.get(account)
        return lane is not None and lane.held

    def hand_over(self, platform: str) -> str | None:
        """When a thread is publishing ``platform``'s posts, tell it that one more first post
        is due (it finds it in the ledger) and return the account; else ``None``. This spares
        a job even reading its post while its account's lane is busy."""
        with self._guard:
            account = self._accounts.get(platform)
            lane = self._lanes.get(account) if account is not None else None
        return account if lane is not None and lane.nudge() else None

    def publishing(self, platform: str, account: str) -> Lane:
        """The lane of ``account``, which publishes ``platform``'s posts (see :meth:`lane`)."""
        with self._guard:
            self._accounts[platform] = account
        return self.lane(account)

    def lane(self, account: str) -> Lane:
        """The lane to hold while talking to ``account`` (re-entrant within a thread).

        Holding it from claim until the outcome is recorded keeps at most one post per
        account in ``sending``, so a crash leaves the fewest posts whose fate must be looked
        up.
        """
        with self._guard:
            return self._lanes.setdefault(account, Lane())

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
