"""Record clicks without slowing redirects: an in-memory queue written in batches by a thread.

The redirect handler only appends a raw :class:`Click` to a deque (no parsing, no I/O). A
background thread wakes every ``interval`` seconds (or sooner when a batch is full),
classifies the user agents, and inserts the batch in one transaction. :meth:`stop`
writes whatever is still queued, so a graceful shutdown loses no click. A batch the
database refuses stays queued and is tried again on the next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from campaign.clicks.agents import classify
from campaign.store.schema import ClickRow
from campaign.tagging.policy import url_host

log = logging.getLogger(__name__)

REFERRER_MAX = 255


@dataclass(frozen=True, slots=True)
class Click:
    """A click as the request saw it; classified only when written."""

    at: float
    code: str
    referrer: str | None
    user_agent: str | None


@lru_cache(maxsize=4096)
def referrer_host(referrer: str | None) -> str | None:
    """The host of a Referer header (the page the visitor came from), cut to fit the column."""
    host = url_host(referrer) if referrer else None
    return host[:REFERRER_MAX] if host else None


def click_row(click: Click) -> dict[str, Any]:
    """The ``clicks`` row of ``click``: referrer reduced to its host, agent to its class."""
    agent = classify(click.user_agent)
    return {
        "code": click.code,
        "at": datetime.fromtimestamp(click.at, UTC),
        "referrer_host": referrer_host(click.referrer),
        "agent_class": agent.kind,
        "is_bot": agent.is_bot,
    }


class ClickRecorder:
    """Queue clicks from any thread and write them to the ledger in batches."""

    def __init__(self, engine: Engine, *, interval: float = 0.5, batch: int = 500) -> None:
        self.engine = engine
        self.interval = interval
        self.batch = batch
        self.written = 0
        self._pending: deque[Click] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def record(self, code: str, referrer: str | None, user_agent: str | None) -> None:
        """Queue one click on ``code`` (cheap: safe to call on the event loop)."""
        self._pending.append(Click(time.time(), code, referrer, user_agent))
        if len(self._pending) >= self.batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        """How many clicks are queued and not yet written."""
        return len(self._pending)

    def start(self) -> None:
        """Start the writer thread."""
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="click-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the writer thread after it has written every queued click."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pending:
            log.error("%d clicks could not be written to the ledger", len(self._pending))

    def flush(self) -> int:
        """Write every queued click now; returns how many were written.

        Raises ``SQLAlchemyError`` when the database refuses a batch (it stays queued).
        """
        written = 0
        while self._pending:
            clicks = [self._pending.popleft() for _ in range(min(self.batch, len(self._pending)))]
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(ClickRow), [click_row(c) for c in clicks])
            except SQLAlchemyError:
                self._pending.extendleft(reversed(clicks))
                raise
            written += len(clicks)
        self.written += written
        return written

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            stopping = self._stopping
            try:
                self.flush()
            except SQLAlchemyError as exc:
                log.warning("clicks not written yet (%d queued): %s", self.pending, exc)
                if stopping:
                    return
                time.sleep(self.interval)
            if stopping:
                return
