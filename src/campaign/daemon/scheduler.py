"""The long-running daemon: our poll loop over the ledger, APScheduler to wake us on time.

The ledger is the truth; APScheduler only holds a date-triggered job per post id for the posts
due within the horizon (``CAMPAIGN_HORIZON_SECONDS``, a sliding window, so a ledger of
100,000 future posts does not become 100,000 jobs). Every poll (``CAMPAIGN_POLL_SECONDS``) the
loop re-reads the ledger: new or re-timed posts get a job, cancelled or finished ones lose
theirs, and posts crashed workers left in ``sending`` are settled. At most ``JOB_WINDOW``
posts (the earliest due) hold a job at a time, so a burst of 10,000 posts due at once costs
each poll a bounded read, and the rest get their jobs as the first ones go out.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from campaign.collector import quiet_collector
from campaign.daemon.logs import event
from campaign.daemon.publisher import Handed, Publisher
from campaign.daemon.runtime import Runtime
from campaign.store.hotpath import Upcoming

JOB_WINDOW = 1000


class Jobs:
    """The APScheduler jobs, kept in step with the ledger by :meth:`sync`."""

    def __init__(self, scheduler: BackgroundScheduler, publisher: Publisher) -> None:
        self._scheduler = scheduler
        self._publisher = publisher
        self._lock = threading.Lock()
        # post id -> (its due time in the ledger, when its job runs, and the account whose
        # lane holder it was handed to: no job then)
        self._planned: dict[str, tuple[datetime, datetime, str | None]] = {}

    def sync(self, wanted: dict[str, Upcoming]) -> None:
        """Make the jobs match ``wanted`` (the ledger's upcoming posts). A first post due within
        the grace window, of a platform whose posts a thread is publishing, is handed to that
        thread without a job (it finds such posts in the ledger). A handed post still
        scheduled gets its job again once nobody holds its lane (the holder paused or stopped
        first), and a handed thread part at every poll (its ticket may have been dropped)."""
        gate = self._publisher.gate
        now = self._publisher.clock.now()
        oldest = self._publisher.grace_start(now)
        with self._lock:
            for post_id in self._planned.keys() - wanted.keys():
                del self._planned[post_id]
                self._remove(post_id)
            for post_id, coming in wanted.items():
                known = self._planned.get(post_id)
                handed_to = known[2] if known else None
                unchanged = known is not None and known[0] == coming.due
                waits = handed_to is not None and coming.first and gate.busy(handed_to)
                if unchanged and (handed_to is None or waits):
                    continue
                first_on = coming.platform if coming.first else None
                fresh = oldest <= coming.due <= now
                account = gate.hand_over(first_on) if first_on and fresh else None
                if account is not None:
                    self._remove(post_id)
                    self._planned[post_id] = (coming.due, coming.due, account)
                else:
                    self._add(post_id, coming.due, coming.due, first_on)

    def _add(self, post_id: str, due: datetime, run_at: datetime, first_on: str | None) -> None:
        self._planned[post_id] = (due, run_at, None)
        self._scheduler.add_job(
            self._run,
            "date",
            run_date=self._publisher.clock.to_system(run_at),
            args=(post_id, first_on),
            id=post_id,
            replace_existing=True,
        )

    def _remove(self, post_id: str) -> None:
        with contextlib.suppress(JobLookupError):  # it has already run
            self._scheduler.remove_job(post_id)

    def _run(self, post_id: str, first_on: str | None) -> None:
        """The job: publish the post; when its account must wait, run again then. A first post
        past the grace window is never handed over: its publish marks it missed."""
        with self._lock:
            known = self._planned.get(post_id)
        if known is not None and known[0] < self._publisher.grace_start():
            first_on = None
        try:
            wait_until = self._publisher.publish(post_id, first_on)
        except Exception as exc:  # a job must not die silently: log it; the next poll retries
            event(logging.ERROR, "publish_error", f"{type(exc).__name__}: {exc}", post_id=post_id)
            wait_until = None
        with self._lock:
            known = self._planned.pop(post_id, None)
            if known is None:
                return
            if isinstance(wait_until, Handed):
                self._planned[post_id] = (known[0], known[1], wait_until.account)
            elif wait_until is not None:
                self._add(post_id, known[0], wait_until, first_on)


def run_forever(runtime: Runtime) -> None:
    """Publish every post on time until ``runtime.stop`` is set, then finish what is in flight;
    meanwhile read sent posts' figures as they come due, in a thread of their own."""
    with runtime.collecting():
        _publish_forever(runtime)


def _publish_forever(runtime: Runtime) -> None:
    settings = runtime.settings
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(settings.workers)},
        # The grace window is ours to apply (to mark a post missed, loudly), not APScheduler's.
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 3},
    )
    jobs = Jobs(scheduler, runtime.publisher)
    horizon = timedelta(seconds=settings.horizon_seconds)
    scheduler.start()
    ready = False
    try:
        while not runtime.stop.is_set():
            try:
                if runtime.ledger_replaced():
                    break
                runtime.publisher.recover_stuck()
                until = runtime.clock.now() + horizon
                wanted = runtime.book.upcoming(until, JOB_WINDOW)
                jobs.sync(wanted)
                for platform in runtime.book.platforms_due(until):
                    runtime.publisher.connections.get(platform)  # connect before it is due
            except SQLAlchemyError as exc:
                event(logging.ERROR, "ledger_unreachable", f"{exc}; trying again next poll")
            else:
                if not ready:
                    quiet_collector()  # start-up is done: its objects are never scanned again
                    ready = True
                    event(
                        logging.INFO,
                        "ready",
                        f"{len(wanted)} post(s) due within {settings.horizon_seconds:g} s "
                        "have a job (or are left to the thread publishing their account's); later "
                        "ones are picked up as they come within reach",
                    )
            runtime.stop.wait(settings.poll_seconds)
    finally:
        runtime.stop.set()
        scheduler.shutdown(wait=True)
