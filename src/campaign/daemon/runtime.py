"""Everything one daemon process works with, assembled once: ledger, adapters, publisher.

Also the two ways to run it that need no scheduler: :func:`run_once` (publish what is due,
then exit) and the heartbeat thread both modes share.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from campaign.daemon.alerting import Watch as AlertWatch
from campaign.daemon.clock import Clock
from campaign.daemon.config import DaemonSettings
from campaign.daemon.connections import Connections
from campaign.daemon.dry_run import DryRunLedger
from campaign.daemon.identity import WorkerId
from campaign.daemon.ledger_watch import LedgerWatch
from campaign.daemon.logs import event
from campaign.daemon.metrics import Collector
from campaign.daemon.publisher import Handed, Publisher
from campaign.errors import LedgerError
from campaign.store.ledger import Ledger
from campaign.store.queued import QueuedPost
from campaign.store.states import FAILED, SENT, UNKNOWN
from campaign.store.worker import WorkerLedger


@dataclass
class Runtime:
    """One daemon: its settings, clock, identity, ledger and publisher.

    ``watch`` tells whether the ledger was deleted or replaced; ``replaced`` holds why once it
    was (the daemon then stops). ``alerts`` looks for problems to alert people about at each
    heartbeat (none in a dry run).
    """

    settings: DaemonSettings
    ledger: Ledger
    book: WorkerLedger
    publisher: Publisher
    stop: threading.Event
    watch: LedgerWatch
    replaced: str | None = None
    alerts: AlertWatch | None = None
    metrics: Collector | None = None
    _replacing: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def open(
        cls,
        settings: DaemonSettings,
        *,
        dry_run: bool = False,
        echo: Callable[[str], None] = print,
        create: bool = True,
    ) -> Runtime:
        """Open the ledger and prepare to publish (``dry_run``: print, record nothing).

        ``create``: make the ledger when there is none (``campaign run`` does not: a
        mistyped path must not become an empty ledger the daemon watches forever).
        Raises :class:`~campaign.errors.ConfigurationError` or
        :class:`~campaign.errors.LedgerError` when the ledger cannot be opened, or does not
        take writes (unless ``dry_run``).
        """
        ledger = Ledger.open(
            settings.ledger_url(), grace=settings.grace, create=create, write=not dry_run
        )
        try:
            watch = LedgerWatch(ledger.engine)
        except SQLAlchemyError as exc:
            ledger.close()
            raise LedgerError(f"cannot read the ledger's id: {exc}") from None
        worker = WorkerId.mine()
        book = (DryRunLedger if dry_run else WorkerLedger)(ledger, worker)
        stop = threading.Event()
        publisher = Publisher(
            book=book,
            connections=Connections(dry_run=dry_run, echo=echo),
            settings=settings,
            clock=Clock(timedelta(seconds=settings.clock_offset_seconds)),
            stopping=stop,
        )
        alerts = metrics = None
        if not dry_run:
            alerts = AlertWatch(
                ledger,
                publisher.clock.now,
                grace=settings.grace,
                stale_after=settings.stale_after,
            )
        if not dry_run and settings.metrics_ages:
            metrics = Collector(
                ledger.engine,
                publisher.connections,
                publisher.gate,
                publisher.clock,
                settings.metrics_ages,
                max_tries=settings.max_attempts,
                backoff=(settings.backoff_seconds, settings.backoff_cap_seconds),
                stopping=stop,
            )
        return cls(settings, ledger, book, publisher, stop, watch, alerts=alerts, metrics=metrics)

    @property
    def clock(self) -> Clock:
        return self.publisher.clock

    @property
    def worker(self) -> WorkerId:
        return self.publisher.worker

    def close(self) -> None:
        """Send the alerts still queued, close the adapters and the ledger."""
        if self.alerts is not None:
            self.alerts.close()
        self.publisher.connections.close()
        self.ledger.close()

    @contextmanager
    def alive(self) -> Iterator[None]:
        """Beat this worker's heartbeat every poll while the block runs (with what keeps the
        publisher from recording outcomes, if anything); mark it stopped after.

        Each beat first checks that the ledger is still the one opened; if it was deleted or
        replaced, the daemon is asked to stop (see :mod:`~campaign.daemon.ledger_watch`).
        """
        self.book.beat(self.clock.now())
        done = threading.Event()

        def beat_until_done() -> None:
            while not done.wait(self.settings.poll_seconds):
                if self.ledger_replaced():
                    return
                try:
                    self.book.beat(self.clock.now(), self.publisher.write_problem)
                except SQLAlchemyError as exc:
                    event(logging.ERROR, "heartbeat_failed", f"cannot reach the ledger: {exc}")
                if self.alerts is not None:
                    self.alerts.write_problem = self.publisher.write_problem
                    self.alerts.poll()

        thread = threading.Thread(target=beat_until_done, name="heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            if self.replaced is None:  # never write into a ledger that is not ours any more
                self.book.stop(self.clock.now())

    def collecting(self) -> AbstractContextManager[None]:
        """Read sent posts' figures in the background while the block runs (if enabled)."""
        if self.metrics is None:
            return nullcontext()
        return self.metrics.background(first=self.settings.poll_seconds)

    def ledger_replaced(self) -> bool:
        """Stop the daemon, loudly, if its ledger was deleted or replaced (checked by the
        heartbeat and before each poll reads what is due, so that no post of a replacing
        ledger is taken up). Said once, though both may see it at the same moment."""
        with self._replacing:
            if self.replaced is not None:
                return True
            why = self.watch.change()
            if why is None:
                return False
            self.replaced = why
        event(logging.ERROR, "ledger_replaced", why)
        self.stop.set()
        return True

    @contextmanager
    def stop_on_signals(self) -> Iterator[None]:
        """Let SIGTERM and SIGINT ask for a clean stop: the post in flight finishes first."""

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            event(logging.INFO, "stopping", f"{name} received; finishing the post in flight")
            self.stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@dataclass(frozen=True)
class OnceReport:
    """What one :func:`run_once` left for a person: posts that ended ``failed`` or
    ``unknown`` in it, and due posts that stayed ``scheduled`` because their platform could
    not be set up (missing or refused credentials, or unreachable), counted per platform."""

    ended: list[QueuedPost]
    stuck: dict[str, int]

    @property
    def ok(self) -> bool:
        """Whether every post the run could act on went out or waits for a known reason."""
        return not self.ended and not self.stuck

    def summary(self) -> str:
        """One line for the log: what needs a person, and what to do."""
        parts = []
        if self.ended:
            posts = ", ".join(f"{p.id} ({p.platform}, {p.state})" for p in self.ended)
            parts.append(
                f"{len(self.ended)} post(s) ended failed or unknown: {posts}; see "
                "`campaign status` and `campaign queue`"
            )
        for name, count in sorted(self.stuck.items()):
            parts.append(
                f"{count} due post(s) for {name} stay scheduled: the platform could not be set "
                "up (see the error above; check its credentials)"
            )
        return "; ".join(parts)


def run_once(runtime: Runtime) -> OnceReport:
    """Publish everything due now (after settling posts crashed workers left), read the
    figures of sent posts due for a reading, then return what needs a person (see
    :class:`OnceReport`).

    Posts that must wait (a retry time or a rate limit ahead) are left for the next run.
    """
    publisher = runtime.publisher
    recovered = {claim.post.id for claim in runtime.book.stuck_sending()}
    publisher.recover_stuck()
    tried: set[str] = set()
    with ThreadPoolExecutor(runtime.settings.workers, thread_name_prefix="publish") as pool:
        while not runtime.stop.is_set():
            batch = [p.id for p in runtime.book.due(runtime.clock.now()) if p.id not in tried]
            if not batch:
                break
            done = pool.map(publisher.publish, batch)
            # A post handed to a thread that then paused (or stopped) is tried again.
            tried.update(i for i, d in zip(batch, done, strict=True) if not isinstance(d, Handed))
    tried.update(runtime.book.attempted())  # and those taken up by a lane's holder
    if runtime.metrics is not None:
        runtime.metrics.round()  # posts first; then the figures now due
    return _report(runtime, tried | recovered)


def _report(runtime: Runtime, tried: set[str]) -> OnceReport:
    """The outcome of the posts tried in this run, and of the thread parts that followed them
    (a part goes out right after the part before it, within the same call)."""
    book = runtime.book
    ended: dict[str, QueuedPost] = {}
    for post_id in sorted(tried):
        post = book.get(post_id)
        while post is not None and post.id not in ended:
            if post.state in (FAILED, UNKNOWN):
                ended[post.id] = post
            if post.state != SENT:
                break
            post = book.next_part(post)
    still_due = book.due(runtime.clock.now())
    platforms = {p.platform for p in still_due}
    unusable = {name for name in platforms if runtime.publisher.connections.get(name) is None}
    stuck = Counter(p.platform for p in still_due if p.platform in unusable)
    return OnceReport(sorted(ended.values(), key=lambda p: p.id), dict(stuck))
