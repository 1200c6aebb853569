"""Reading sent posts' public figures at fixed ages (``CAMPAIGN_METRICS_AT``), publishing first.

A :class:`Collector` round asks the ledger which sent posts are due for a reading
(:func:`campaign.store.metrics.due`), reads them per platform in batches as large as the
platform allows (100 ids a request on X), and stores each reading. Publishing always comes
first:

- a read takes the account's lane like a post does, but only when it is free (never queueing
  in front of a post) and only when no post of that platform is due before the read would
  end (the time the last read took, twice over);
- a read waits while the account is rate-limited, for publishing or for reading; a rate limit
  met while reading pauses reads only, never posts;
- a read that fails is tried again in a later round, backing off, and after
  ``CAMPAIGN_MAX_ATTEMPTS`` failures is given up: logged (WARNING) and stored as ``failed``,
  never alerted.

Rounds run in a thread of their own (:meth:`Collector.background`) every
:data:`ROUND_SECONDS`, and once after publishing in ``campaign run --once``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from campaign.adapters.base import Adapter
from campaign.adapters.engagement import Engagement
from campaign.daemon.backoff import retry_delay
from campaign.daemon.clock import Clock
from campaign.daemon.connections import Connections
from campaign.daemon.logs import event
from campaign.daemon.ratelimits import AccountGate
from campaign.errors import RateLimited
from campaign.store import metrics as ledger_metrics
from campaign.store.metrics import Due, Snapshot

ROUND_SECONDS = 60.0  # readings are hours apart: a minute late is on time
PAGE = 1000  # due posts read from the ledger at a time
YIELD_SECONDS = 0.02  # how long a read waits before trying for a busy lane again
FIRST_READ = timedelta(milliseconds=200)  # assumed length of a read before one was timed
CLEARANCE = (timedelta(milliseconds=50), timedelta(seconds=30))  # bounds on the margin


@dataclass
class RoundReport:
    """What one round did: requests made, posts read, given up and left for a later round."""

    requests: int = 0
    read: int = 0
    gave_up: int = 0
    deferred: int = 0


@dataclass
class Collector:
    """Reads due posts' figures through ``connections`` and stores them in the ledger."""

    engine: Engine
    connections: Connections
    gate: AccountGate
    clock: Clock
    ages: Sequence[timedelta]
    max_tries: int = 5
    backoff: tuple[float, float] = (30.0, 900.0)  # first retry delay and its ceiling, seconds
    stopping: threading.Event = field(default_factory=threading.Event)
    patience: float = 10.0  # seconds a read waits for publishing before its round skips it
    rng: random.Random = field(default_factory=random.Random)
    # Reads only: an account whose reads were rate-limited waits here, posts do not.
    waits: AccountGate = field(default_factory=AccountGate)
    _tries: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # failing: next try
    _took: dict[str, timedelta] = field(default_factory=dict)  # platform -> last read's length
    _skipped: set[str] = field(default_factory=set)  # platforms too busy for this round
    _halt: threading.Event = field(default_factory=threading.Event)

    def round(self) -> RoundReport:
        """Read every post due now, oldest first, a full batch at a time per platform."""
        report = RoundReport()
        now = self.clock.now()
        self._skipped.clear()
        pending: dict[str, list[Due]] = {}
        after = None
        while not self._stopped():
            page = ledger_metrics.due(self.engine, now, self.ages, after=after, limit=PAGE)
            for post in page:
                tries = self._tries.get(post.post_id)
                if tries is None or tries[1] <= now:
                    pending.setdefault(post.platform, []).append(post)
            for platform, posts in pending.items():
                pending[platform] = self._read_full_batches(platform, posts, report)
            if len(page) < PAGE:
                break
            after = (page[-1].sent_at, page[-1].post_id)
        for platform, posts in pending.items():
            self._read(platform, posts, report)
        if report.requests or report.deferred:
            event(
                logging.INFO,
                "metrics_round",
                f"read the figures of {report.read} post(s) in {report.requests} request(s); "
                f"{report.deferred} left for a later round, {report.gave_up} given up",
            )
        return report

    @contextmanager
    def background(self, first: float, every: float = ROUND_SECONDS) -> Iterator[None]:
        """Run a round after ``first`` seconds, then every ``every`` seconds, in a thread
        while the block runs; a round in progress stops between requests when it ends."""
        self._halt.clear()

        def rounds() -> None:
            delay = first
            while not self._halt.wait(delay) and not self.stopping.is_set():
                delay = every
                try:
                    self.round()
                except Exception as exc:  # the thread must live on: log it, try next round
                    message = f"{type(exc).__name__}: {exc}; trying again in {every:g} s"
                    event(logging.ERROR, "metrics_round_failed", message)

        thread = threading.Thread(target=rounds, name="metrics", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._halt.set()
            thread.join()

    # --- one platform ------------------------------------------------------------------

    def _read_full_batches(self, platform: str, posts: list[Due], report: RoundReport) -> list[Due]:
        """Read ``posts`` in full batches; return the rest for the next page (or the end)."""
        with self.connections.lease(platform) as adapter:
            if adapter is None:
                report.deferred += len(posts)
                return []
            size = adapter.metrics_batch
            full = len(posts) - len(posts) % size
            for start in range(0, full, size):
                self._read_batch(platform, adapter, posts[start : start + size], report)
            return posts[full:]

    def _read(self, platform: str, posts: list[Due], report: RoundReport) -> None:
        """Read ``posts`` in batches, the last one partial."""
        with self.connections.lease(platform) as adapter:
            if adapter is None:
                report.deferred += len(posts)
                return
            size = adapter.metrics_batch
            for start in range(0, len(posts), size):
                self._read_batch(platform, adapter, posts[start : start + size], report)

    def _read_batch(
        self, platform: str, adapter: Adapter, posts: list[Due], report: RoundReport
    ) -> None:
        """One request for ``posts``, made when publishing leaves room; its readings stored."""
        with self._turn(platform, adapter) as mine:
            if not mine:
                report.deferred += len(posts)
                return
            began = time.monotonic()
            report.requests += 1
            try:
                readings = adapter.engagement([post.remote_id for post in posts])
            except RateLimited as exc:
                until = exc.reset_at or self.clock.now() + timedelta(seconds=self.backoff[0])
                self.waits.block(adapter.account_key, until)
                report.deferred += len(posts)
                event(
                    logging.INFO,
                    "metrics_rate_limited",
                    f"{adapter.spec.title} limits reading figures until {until:%H:%M:%S} UTC; "
                    "posts go on, reads wait",
                    platform=platform,
                )
                return
            except Exception as exc:  # any failure, even an adapter bug: try again later
                self._failed(platform, posts, exc, report)
                return
            finally:
                self._took[platform] = timedelta(seconds=time.monotonic() - began)
        self._store(posts, readings, report)

    @contextmanager
    def _turn(self, platform: str, adapter: Adapter) -> Iterator[bool]:
        """Hold ``adapter``'s account lane for one read, or yield False when reads must wait
        (a rate limit, stopping, or publishing kept the lane busy for :attr:`patience`
        seconds: then the platform's reads wait for the next round).

        The lane is taken only when free, and only when no post of ``platform`` is due
        before the read would end: a post never waits behind a read it could have avoided.
        """
        account = adapter.account_key
        lane = self.gate.lane(account)
        give_up = time.monotonic() + self.patience
        while not self._stopped() and platform not in self._skipped:
            if time.monotonic() > give_up:
                self._skipped.add(platform)
                break
            now = self.clock.now()
            if self.gate.blocked_until(account, now) or self.waits.blocked_until(account, now):
                break
            soon = now + self._clearance(platform)
            clear = not ledger_metrics.publishing_soon(self.engine, platform, soon)
            if clear and lane.try_hold():
                try:
                    yield True
                finally:
                    lane.release()
                return
            self._halt.wait(YIELD_SECONDS)
        yield False

    def _clearance(self, platform: str) -> timedelta:
        """How far ahead the schedule must be clear of posts for a read to start."""
        low, high = CLEARANCE
        return min(max(2 * self._took.get(platform, FIRST_READ), low), high)

    # --- outcomes ------------------------------------------------------------------------

    def _store(
        self, posts: list[Due], readings: dict[str, Engagement], report: RoundReport
    ) -> None:
        now = self.clock.now()
        snapshots = []
        for post in posts:
            self._tries.pop(post.post_id, None)
            reading = readings.get(post.remote_id)
            if reading is None:
                reading = Engagement.not_available("the platform's answer left this post out")
            snapshots.append(_snapshot(post, now, reading))
        ledger_metrics.record(self.engine, snapshots)
        report.read += len(posts)

    def _failed(self, platform: str, posts: list[Due], exc: Exception, report: RoundReport) -> None:
        """Back off each post of a failed read; give up on those out of tries (quietly)."""
        now = self.clock.now()
        why = str(exc) or type(exc).__name__
        given_up = []
        for post in posts:
            tries = self._tries.get(post.post_id, (0, now))[0] + 1
            if tries >= self.max_tries:
                self._tries.pop(post.post_id, None)
                note = f"gave up after {tries} failed reads: {why}"
                given_up.append(
                    Snapshot(post.post_id, post.age, now, ledger_metrics.FAILED, note=note)
                )
            else:
                delay = retry_delay(tries, *self.backoff, self.rng)
                self._tries[post.post_id] = (tries, now + delay)
        ledger_metrics.record(self.engine, given_up)
        report.gave_up += len(given_up)
        retrying = len(posts) - len(given_up)
        event(
            logging.WARNING,
            "metrics_read_failed",
            f"could not read the figures of {len(posts)} post(s) on {platform}: {why}; "
            f"{retrying} tried again later, {len(given_up)} given up",
            platform=platform,
        )

    def _stopped(self) -> bool:
        return self.stopping.is_set() or self._halt.is_set()


def _snapshot(post: Due, at: datetime, reading: Engagement) -> Snapshot:
    """The ledger's record of ``reading``, taken at ``at`` for ``post``'s due age."""
    if reading.unavailable is not None:
        return Snapshot(
            post.post_id, post.age, at, ledger_metrics.UNAVAILABLE, note=reading.unavailable
        )
    figures = reading.figures()
    return Snapshot(post.post_id, post.age, at, ledger_metrics.READ, figures=figures)
