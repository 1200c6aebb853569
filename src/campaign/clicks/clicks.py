"""Record clicks without slowing redirects: an in-memory queue written in batches by a thread.

The redirect handler only appends a raw :data:`Click` tuple to a deque (no parsing, no
I/O, no object of ours). A background thread wakes every ``interval`` seconds (or sooner
when a batch is waiting) and hands each batch (up to ``batch`` clicks) to its
:class:`ClickStore`: :class:`LedgerStore` classifies the user agents (cached: a few agents
make most clicks) and inserts the batch in one transaction and one statement
(:class:`~campaign.store.clicks.ClickInserter`); ``campaign serve-links`` uses a
:class:`~campaign.clicks.writer_process.WriterProcess`, which does the same in a process of
its own. :meth:`stop` writes whatever is still queued, so a graceful shutdown loses no click.

When the ledger refuses a batch (read-only, full, unreachable), the queued clicks go to the
:class:`~campaign.clicks.spill.Spill` files instead, :attr:`ClickRecorder.trouble` says why
(``/healthz`` answers 503), and every round tries the ledger again: once it takes writes,
the spilled clicks are replayed into it. Only if the spill cannot be written either do
clicks wait in memory, at most ``limit`` of them; beyond that they are counted as lost and
the count is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from campaign.clicks.agents import classify
from campaign.store.clicks import ClickInserter, ClickValues
from campaign.store.meta import check_writable

if TYPE_CHECKING:  # the click writer process imports this module, and needs no spill
    from campaign.clicks.spill import Spill

log = logging.getLogger(__name__)

REFERRER_MAX = 255

# A click as the request saw it (time.time_ns(), code, Referer, User-Agent); a plain tuple,
# as the redirect handler builds one per request. Classified only when written.
Click = tuple[int, str, str | None, str | None]


@lru_cache(maxsize=4096)
def referrer_host(referrer: str | None) -> str | None:
    """The lower-cased host of a Referer header (the page the visitor came from), cut to fit
    the column; ``None`` when there is none or it cannot be parsed."""
    try:
        host = urlsplit(referrer).hostname if referrer else None
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    return host[:REFERRER_MAX] if host else None


def click_values(clicks: list[Click]) -> list[ClickValues]:
    """The ``clicks`` rows of ``clicks``: referrer reduced to its host, agent to its class."""
    rows: list[ClickValues] = []
    for at, code, referrer, user_agent in clicks:
        kind, is_bot = classify(user_agent)
        rows.append((code, at, referrer_host(referrer), kind, is_bot))
    return rows


class ClicksRefused(Exception):
    """A batch of clicks was not stored; :attr:`reason` says why: in the database's words
    when ``by_ledger``, else what kept it from reaching the ledger (a writer process)."""

    def __init__(self, reason: str, *, by_ledger: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.by_ledger = by_ledger


def refusal(exc: SQLAlchemyError) -> str:
    """The first line of what the database said (the driver's error, not SQLAlchemy's wrap)."""
    return str(getattr(exc, "orig", None) or exc).partition("\n")[0]


class ClickStore(Protocol):
    """Where :class:`ClickRecorder` sends each batch: this process, or a writer process."""

    def store(self, clicks: list[Click]) -> None:
        """Store ``clicks`` in the ledger in one transaction; raises :class:`ClicksRefused`."""

    def close(self) -> None:
        """Release what the store holds (connections, a process) once the recorder stops."""


class LedgerStore:
    """Stores batches of clicks in the ledger behind ``engine`` from this process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._inserter = ClickInserter(engine.dialect)

    def store(self, clicks: list[Click]) -> None:
        """Insert ``clicks`` (classified) in one transaction; raises :class:`ClicksRefused`."""
        try:
            with self.engine.begin() as connection:
                self._inserter.insert(connection, click_values(clicks))
        except SQLAlchemyError as exc:
            # A ledger made writable again is only seen through new connections.
            self.engine.dispose()
            raise ClicksRefused(refusal(exc)) from exc

    def close(self) -> None:
        """Nothing to release: the engine belongs to the caller."""


class ClickRecorder:
    """Queue clicks from any thread and write them to the ledger in batches.

    ``spill`` keeps the clicks the ledger refuses (none: they wait in memory); ``limit`` caps
    the clicks waiting in memory; ``store`` writes each batch (default: this process, through
    ``engine``; ``campaign serve-links`` gives it a
    :class:`~campaign.clicks.writer_process.WriterProcess`). ``engine`` itself is used to
    probe whether the ledger takes writes and to replay the spill.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = 0.5,
        batch: int = 2000,
        limit: int = 100_000,
        spill: Spill | None = None,
        store: ClickStore | None = None,
    ) -> None:
        self.engine = engine
        self.store = store if store is not None else LedgerStore(engine)
        self.interval = interval
        self.batch = batch
        self.limit = limit
        self.spill = spill
        self.written = 0
        self.replayed = 0
        self.lost = 0  # refused with the memory queue full (the spill failing too)
        self.trouble: str | None = None  # why clicks cannot be stored in the ledger now
        self._logged_lost = 0
        self._spill_trouble: str | None = None
        self._pending: deque[Click] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, code: str, referrer: str | None, user_agent: str | None) -> None:
        """Queue one click on ``code`` (cheap: safe to call on the event loop)."""
        pending = self._pending
        if len(pending) >= self.limit:
            self.lost += 1
            return
        pending.append((time.time_ns(), code, referrer, user_agent))
        if len(pending) == self.batch:  # once per batch: setting the event takes a lock
            self._wake.set()

    @property
    def pending(self) -> int:
        """How many clicks are queued in memory and not yet written."""
        return len(self._pending)

    def start(self) -> None:
        """Start the writer thread; its first round (at once) replays clicks spilled before."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="click-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the writer thread after it has written (or spilled) every queued click."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.store.close()
        if self.spill is not None:
            self.spill.close()
        lost = self.lost + len(self._pending)
        if lost:
            log.error(
                "%d clicks could not be written to the ledger%s; they are lost",
                lost,
                f" nor kept in {self.spill.folder}" if self.spill is not None else "",
            )

    def flush(self) -> int:
        """Write every click queued by now; returns how many were written.

        Clicks queued meanwhile wait for the next round: under load, chasing them would
        write a tail of ever smaller batches, each costing a whole commit. Raises
        :class:`ClicksRefused` when the ledger refuses a batch (it stays queued).
        """
        written = 0
        left = len(self._pending)
        while left > 0:
            clicks = self._take(min(self.batch, left))
            left -= len(clicks)
            try:
                self.store.store(clicks)
            except ClicksRefused:
                self._pending.extendleft(reversed(clicks))
                raise
            written += len(clicks)
            self.written += len(clicks)
        return written

    def _run(self) -> None:
        first = True
        while True:
            if not first and len(self._pending) < self.batch:  # else a batch waits already
                self._wake.wait(self.interval)
                self._wake.clear()
            stopping = self._stop.is_set()
            self._round(probe=first)
            first = False
            if stopping:
                return
            if self.trouble is not None:
                self._stop.wait(self.interval)  # not a busy loop while the queue stays full

    def _round(self, probe: bool) -> None:
        """Write the queue, then replay what was spilled; spill the queue if refused."""
        try:
            done = self.flush()
            if not done and (probe or self.trouble is not None):
                check_writable(self.engine)  # before a replay that could only fail
            if self.spill is not None and self.spill.waiting:
                replayed = self.spill.replay(self.engine, self.batch)
                self.replayed += replayed
        except ClicksRefused as exc:
            self._refused(exc.reason, by_ledger=exc.by_ledger)
            self._spill_pending()
        except SQLAlchemyError as exc:  # the probe or the replay
            self._refused(refusal(exc), by_ledger=True)
            self._spill_pending()
        else:
            if self.trouble is not None:
                log.warning("clicks are written to the ledger again")
                self.trouble = None
        if self.lost > self._logged_lost:
            log.error(
                "%d clicks lost so far: the ledger refuses them, they cannot be kept in the "
                "spill folder, and %d wait in memory already",
                self.lost,
                self.limit,
            )
            self._logged_lost = self.lost

    def _refused(self, reason: str, *, by_ledger: bool) -> None:
        """Clicks could not be stored: say so once, and reconnect before the next try."""
        where = self.engine.url.render_as_string(hide_password=True)
        trouble = f"the ledger at {where} refuses writes ({reason})" if by_ledger else reason
        if self.trouble is None:
            kept = f"kept in {self.spill.folder}" if self.spill is not None else "kept in memory"
            log.error(
                "clicks cannot be stored: %s; they are %s until they can be, and /healthz "
                "answers 503 meanwhile",
                trouble,
                kept,
            )
        self.trouble = trouble
        # A ledger made writable again is only seen through new connections.
        self.engine.dispose()

    def _spill_pending(self) -> None:
        """Move the queued clicks to the spill; they stay queued if it cannot take them."""
        if self.spill is None or not self._pending:
            return
        clicks = self._take(len(self._pending))
        try:
            self.spill.write(click_values(clicks))
        except OSError as exc:
            self._pending.extendleft(reversed(clicks))
            if self._spill_trouble is None:
                log.error(
                    "cannot keep clicks in %s either (%s); up to %d wait in memory, more are lost",
                    self.spill.folder,
                    exc,
                    self.limit,
                )
            self._spill_trouble = str(exc)
            return
        self._spill_trouble = None

    def _take(self, count: int) -> list[Click]:
        """The ``count`` oldest queued clicks, taken off the queue."""
        pending = self._pending
        return [pending.popleft() for _ in range(min(count, len(pending)))]
