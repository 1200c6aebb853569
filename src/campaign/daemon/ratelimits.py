"""Per-account gate: one request at a time per account, and a pause while it is rate-limited.

A rate limit belongs to an account (``adapter.account_key``), not to a post: while one
account waits for its reset time, posts of other accounts and platforms go on.

Posts waiting for an account's lane stand in its line (:meth:`Lane.turn`); the thread
holding the lane may take the first of them on (:meth:`Lane.take_next`), claiming it in the
transaction that records its own post's outcome, and the waiting thread is let go at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any


class Lane:
    """One account's lane: held by one thread at a time (re-entrant within it), with a line
    of the posts waiting for it, each with what its thread prepared to send it (a ticket).

    Each waiting thread has its own event, so letting one go wakes that one only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._line: dict[str, tuple[Any, threading.Event]] = {}  # first come first
        self._others: list[threading.Event] = []  # threads waiting outside the line

    def __enter__(self) -> Lane:
        me = threading.get_ident()
        while True:
            with self._lock:
                if self._owner in (None, me):
                    self._owner = me
                    self._depth += 1
                    return self
                wake = threading.Event()
                self._others.append(wake)
            wake.wait()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.release()

    def try_hold(self) -> bool:
        """Hold the lane only if nobody holds it or waits for it (a post in line, or a look-back
        after a crash); True when held (give it back with :meth:`release`). For work that must
        never make a post wait, such as reading engagement."""
        with self._lock:
            if self._owner is not None or self._line or self._others:
                return False
            self._owner = threading.get_ident()
            self._depth = 1
            return True

    def release(self) -> None:
        """Give the lane back once (it is re-entrant); the last release lets the next go."""
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            woken, self._others = self._others, []
            if self._line:
                woken.append(next(iter(self._line.values()))[1])
        for wake in woken:
            wake.set()

    @contextmanager
    def turn(self, post_id: str, ticket: Any) -> Iterator[bool]:
        """Wait in line for the lane to publish ``post_id``; hold it for the block.

        Yields True holding the lane, or False (not holding it) when the thread that held it
        took ``post_id`` on (see :meth:`take_next`): its outcome is then that thread's to record.
        """
        me = threading.get_ident()
        wake = threading.Event()
        with self._lock:
            self._line[post_id] = (ticket, wake)
        while True:
            with self._lock:
                if self._line.get(post_id, (None, None))[1] is not wake:
                    taken = True
                    break
                if self._owner in (None, me):
                    del self._line[post_id]
                    self._owner = me
                    self._depth += 1
                    taken = False
                    break
                wake.clear()
            wake.wait()
        if taken:
            yield False
            return
        try:
            yield True
        finally:
            self.release()

    def take_next(self) -> Any | None:
        """The ticket of the first post in line, taken out of it (its thread stops waiting);
        ``None`` when none waits. Only for the thread holding the lane."""
        with self._lock:
            if not self._line:
                return None
            post_id = next(iter(self._line))
            ticket, wake = self._line.pop(post_id)
        wake.set()
        return ticket


class AccountGate:
    """Per-account serialisation lock and "blocked until" times, shared by worker threads."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._lanes: dict[str, Lane] = {}
        self._until: dict[str, datetime] = {}

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
