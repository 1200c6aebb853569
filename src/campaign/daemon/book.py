"""Where the daemon reads posts and records outcomes: the ledger, or a dry run's notebook.

:class:`LedgerBook` is the real thing (:mod:`campaign.store.transitions`). :class:`DryRunBook`
reads the same ledger but keeps every outcome in memory, so ``campaign run --dry-run`` runs the
very same loop and changes nothing in the database.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import datetime
from typing import Protocol

from campaign.adapters.base import Receipt
from campaign.daemon.identity import WorkerId
from campaign.daemon.logs import event
from campaign.store import transitions
from campaign.store.ledger import Ledger
from campaign.store.queued import QueuedPost
from campaign.store.states import MISSED, SCHEDULED, SENDING, SENT
from campaign.store.transitions import Claim, Heartbeat


class Book(Protocol):
    """What the publisher and the scheduler need from the ledger, as worker ``worker``."""

    worker: WorkerId

    def get(self, post_id: str) -> QueuedPost | None: ...
    def next_part(self, post: QueuedPost) -> QueuedPost | None: ...
    def due(self, now: datetime) -> list[QueuedPost]: ...
    def upcoming(self, until: datetime, limit: int | None = None) -> dict[str, datetime]: ...
    def platforms_due(self, until: datetime) -> set[str]: ...
    def stuck_sending(self) -> list[Claim]: ...
    def heartbeats(self) -> list[Heartbeat]: ...
    def beat(self, now: datetime) -> None: ...
    def stop(self, now: datetime) -> None: ...
    def claim(self, post: QueuedPost, now: datetime) -> bool: ...
    def take_over(self, stuck: Claim, now: datetime) -> bool: ...
    def mark_sent(self, post: QueuedPost, now: datetime, receipt: Receipt, found: bool) -> bool: ...
    def reschedule(
        self, post: QueuedPost, now: datetime, until: datetime, error: str, counts: bool = True
    ) -> bool: ...
    def mark_failed(self, post: QueuedPost, now: datetime, error: str) -> bool: ...
    def mark_unknown(self, post: QueuedPost, now: datetime, error: str) -> bool: ...
    def mark_missed(self, post: QueuedPost, now: datetime, reason: str) -> bool: ...


class LedgerBook:
    """The ledger itself: every move is a transaction in the database, made as ``worker``."""

    def __init__(self, ledger: Ledger, worker: WorkerId) -> None:
        self.ledger = ledger
        self.worker = worker
        self._me = str(worker)

    def get(self, post_id: str) -> QueuedPost | None:
        return transitions.get(self.ledger, post_id)

    def next_part(self, post: QueuedPost) -> QueuedPost | None:
        return transitions.next_part(self.ledger, post)

    def due(self, now: datetime) -> list[QueuedPost]:
        return transitions.due(self.ledger, now)

    def upcoming(self, until: datetime, limit: int | None = None) -> dict[str, datetime]:
        return transitions.upcoming(self.ledger, until, limit)

    def platforms_due(self, until: datetime) -> set[str]:
        return transitions.platforms_due(self.ledger, until)

    def stuck_sending(self) -> list[Claim]:
        return transitions.stuck_sending(self.ledger)

    def heartbeats(self) -> list[Heartbeat]:
        return transitions.heartbeats(self.ledger)

    def beat(self, now: datetime) -> None:
        transitions.beat(self.ledger, self._me, self.worker.host, self.worker.pid, now)

    def stop(self, now: datetime) -> None:
        transitions.stop(self.ledger, self._me, now)

    def claim(self, post: QueuedPost, now: datetime) -> bool:
        return transitions.claim(self.ledger, post, self._me, now)

    def take_over(self, stuck: Claim, now: datetime) -> bool:
        return transitions.take_over(self.ledger, stuck, self._me, now)

    def mark_sent(self, post: QueuedPost, now: datetime, receipt: Receipt, found: bool) -> bool:
        return transitions.mark_sent(
            self.ledger, post, self._me, now, receipt.remote_id, receipt.url, found
        )

    def reschedule(
        self, post: QueuedPost, now: datetime, until: datetime, error: str, counts: bool = True
    ) -> bool:
        return transitions.reschedule(self.ledger, post, self._me, now, until, error, counts)

    def mark_failed(self, post: QueuedPost, now: datetime, error: str) -> bool:
        return transitions.mark_failed(self.ledger, post, self._me, now, error)

    def mark_unknown(self, post: QueuedPost, now: datetime, error: str) -> bool:
        return transitions.mark_unknown(self.ledger, post, self._me, now, error)

    def mark_missed(self, post: QueuedPost, now: datetime, reason: str) -> bool:
        return transitions.mark_missed(self.ledger, post, now, reason)


class DryRunBook(LedgerBook):
    """Reads the ledger, writes nothing: outcomes live in memory for this run only.

    Recovery is skipped (a dry run must not take over another worker's posts) and no
    heartbeat is written, so ``campaign status`` never mistakes a dry run for the daemon.
    """

    def __init__(self, ledger: Ledger, worker: WorkerId) -> None:
        super().__init__(ledger, worker)
        self._lock = threading.Lock()
        self._notes: dict[str, QueuedPost] = {}

    def get(self, post_id: str) -> QueuedPost | None:
        with self._lock:
            noted = self._notes.get(post_id)
        return noted or super().get(post_id)

    def next_part(self, post: QueuedPost) -> QueuedPost | None:
        following = super().next_part(post)
        return self.get(following.id) if following else None

    def due(self, now: datetime) -> list[QueuedPost]:
        with self._lock:
            return [p for p in super().due(now) if p.id not in self._notes]

    def upcoming(self, until: datetime, limit: int | None = None) -> dict[str, datetime]:
        with self._lock:
            noted = set(self._notes)
        return {pid: at for pid, at in super().upcoming(until, limit).items() if pid not in noted}

    def stuck_sending(self) -> list[Claim]:
        return []

    def beat(self, now: datetime) -> None:
        """A dry run leaves no heartbeat."""

    def stop(self, now: datetime) -> None:
        """A dry run leaves no heartbeat."""

    def claim(self, post: QueuedPost, now: datetime) -> bool:
        with self._lock:
            if post.id in self._notes:
                return False
            self._notes[post.id] = dataclasses.replace(post, state=SENDING)
        return True

    def take_over(self, stuck: Claim, now: datetime) -> bool:
        return False

    def mark_sent(self, post: QueuedPost, now: datetime, receipt: Receipt, found: bool) -> bool:
        note = {"remote_id": receipt.remote_id, "remote_url": receipt.url, "sent_at": now}
        return self._note(post, SENT, "would be published", **note)

    def reschedule(
        self, post: QueuedPost, now: datetime, until: datetime, error: str, counts: bool = True
    ) -> bool:
        return self._note(post, SCHEDULED, f"would be retried: {error}", last_error=error)

    def mark_failed(self, post: QueuedPost, now: datetime, error: str) -> bool:
        return self._note(post, "failed", f"would fail: {error}", last_error=error)

    def mark_unknown(self, post: QueuedPost, now: datetime, error: str) -> bool:
        return self._note(post, "unknown", f"would be unknown: {error}", last_error=error)

    def mark_missed(self, post: QueuedPost, now: datetime, reason: str) -> bool:
        return self._note(post, MISSED, f"would be missed: {reason}", last_error=reason)

    def _note(self, post: QueuedPost, state: str, message: str, **values: object) -> bool:
        with self._lock:
            self._notes[post.id] = dataclasses.replace(post, state=state, **values)  # type: ignore[arg-type]
        level = logging.ERROR if state == MISSED else logging.INFO
        event(
            level,
            state,
            message,
            post_id=post.id,
            platform=post.platform,
            state=state,
            dry_run=True,
        )
        return True
