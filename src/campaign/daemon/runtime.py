"""Everything one daemon process works with, assembled once: ledger, adapters, publisher.

Also the two ways to run it that need no scheduler: :func:`run_once` (publish what is due,
then exit) and the heartbeat thread both modes share.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from campaign.daemon.book import Book, DryRunBook, LedgerBook
from campaign.daemon.clock import Clock
from campaign.daemon.config import DaemonSettings
from campaign.daemon.connections import Connections
from campaign.daemon.identity import WorkerId
from campaign.daemon.logs import event
from campaign.daemon.publisher import Publisher
from campaign.store.ledger import Ledger


@dataclass
class Runtime:
    """One daemon: its settings, clock, identity, ledger and publisher."""

    settings: DaemonSettings
    ledger: Ledger
    book: Book
    publisher: Publisher
    stop: threading.Event

    @classmethod
    def open(
        cls,
        settings: DaemonSettings,
        *,
        dry_run: bool = False,
        echo: Callable[[str], None] = print,
    ) -> Runtime:
        """Open the ledger and prepare to publish (``dry_run``: print, record nothing).

        Raises :class:`~campaign.errors.ConfigurationError` or
        :class:`~campaign.errors.LedgerError` when the ledger cannot be opened.
        """
        ledger = Ledger.open(settings.ledger_url(), grace=settings.grace)
        worker = WorkerId.mine()
        book: Book = DryRunBook(ledger, worker) if dry_run else LedgerBook(ledger, worker)
        stop = threading.Event()
        publisher = Publisher(
            book=book,
            connections=Connections(dry_run=dry_run, echo=echo),
            settings=settings,
            clock=Clock(timedelta(seconds=settings.clock_offset_seconds)),
            stopping=stop,
        )
        return cls(settings, ledger, book, publisher, stop)

    @property
    def clock(self) -> Clock:
        return self.publisher.clock

    @property
    def worker(self) -> WorkerId:
        return self.publisher.worker

    def close(self) -> None:
        """Close the adapters and the ledger."""
        self.publisher.connections.close()
        self.ledger.close()

    @contextmanager
    def alive(self) -> Iterator[None]:
        """Beat this worker's heartbeat every poll while the block runs; mark it stopped after."""
        self.book.beat(self.clock.now())
        done = threading.Event()

        def beat_until_done() -> None:
            while not done.wait(self.settings.poll_seconds):
                try:
                    self.book.beat(self.clock.now())
                except SQLAlchemyError as exc:
                    event(logging.ERROR, "heartbeat_failed", f"cannot reach the ledger: {exc}")

        thread = threading.Thread(target=beat_until_done, name="heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            self.book.stop(self.clock.now())

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


def run_once(runtime: Runtime) -> None:
    """Publish everything due now (after settling posts crashed workers left), then return.

    Posts that must wait (a retry time or a rate limit ahead) are left for the next run.
    """
    publisher = runtime.publisher
    publisher.recover_stuck()
    tried: set[str] = set()
    with ThreadPoolExecutor(runtime.settings.workers, thread_name_prefix="publish") as pool:
        while not runtime.stop.is_set():
            batch = [p.id for p in runtime.book.due(runtime.clock.now()) if p.id not in tried]
            if not batch:
                return
            tried.update(batch)
            list(pool.map(publisher.publish, batch))
