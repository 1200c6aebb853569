"""``campaign run --dry-run``: the very same loop on the very same ledger, writing nothing.

:class:`DryRunLedger` reads the ledger as :class:`~campaign.store.worker.WorkerLedger` does
but keeps every outcome in memory for this run only.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque
from datetime import datetime

from sqlalchemy import select

from campaign.daemon.logs import event
from campaign.store.hotpath import Claimable, NextDue, Upcoming
from campaign.store.media import images_of
from campaign.store.queued import QueuedPost
from campaign.store.schema import PostRow
from campaign.store.states import FAILED, MISSED, SCHEDULED, SENDING, SENT, UNKNOWN
from campaign.store.worker import Claim, ClaimedPost, HasEngine, WorkerId, WorkerLedger

_posts = PostRow.__table__


class DryRunLedger(WorkerLedger):
    """Reads the ledger, writes nothing: outcomes live in memory for this run only.

    Recovery is skipped (a dry run must not take over another worker's posts) and no
    heartbeat is written, so ``campaign status`` never mistakes a dry run for the daemon.
    """

    def __init__(self, ledger: HasEngine, worker: WorkerId) -> None:
        super().__init__(ledger, worker)
        self._lock = threading.Lock()
        self._notes: dict[str, QueuedPost] = {}
        self._waiting: dict[str, deque[QueuedPost]] = {}  # platform -> first posts due (NextDue)

    def get(self, post_id: str) -> QueuedPost | None:
        with self._lock:
            noted = self._notes.get(post_id)
        return noted or super().get(post_id)

    def next_part(self, post: QueuedPost) -> QueuedPost | None:
        following = super().next_part(post)
        return self.get(following.id) if following else None

    def due(self, now: datetime, limit: int | None = None) -> list[QueuedPost]:
        with self._lock:
            return [p for p in super().due(now, limit) if p.id not in self._notes]

    def upcoming(self, until: datetime, limit: int | None = None) -> dict[str, Upcoming]:
        with self._lock:
            noted = set(self._notes)
        return {pid: at for pid, at in super().upcoming(until, limit).items() if pid not in noted}

    def stuck_sending(self) -> list[Claim]:
        return []

    def attempted(self) -> set[str]:
        with self._lock:
            return set(self._notes)

    def beat(self, now: datetime, problem: str | None = None) -> None:
        """A dry run leaves no heartbeat."""

    def stop(self, now: datetime) -> None:
        """A dry run leaves no heartbeat."""

    def claim(self, which: Claimable, now: datetime) -> ClaimedPost | None:
        """What the real claim would return, read in one transaction; nothing is written."""
        post_id = self._next_due(which, now) if isinstance(which, NextDue) else which
        if post_id is None:
            return None
        with self._lock:
            if post_id in self._notes:
                return None
        with self.engine.connect() as connection:
            query = select(_posts).where(_posts.c.id == post_id)
            row = connection.execute(query).mappings().first()
            post = QueuedPost.from_row(row) if row else None
            if post is None or post.state != SCHEDULED or post.due_at > now:
                return None
            images, missing = images_of(connection, post.media) if post.media else ((), ())
        with self._lock:
            if post_id in self._notes:
                return None
            self._notes[post_id] = dataclasses.replace(post, state=SENDING)
        return ClaimedPost(post, images, missing)

    def take_over(self, stuck: Claim, now: datetime) -> bool:
        return False

    def mark_sent(
        self,
        post: QueuedPost,
        now: datetime,
        remote_id: str,
        url: str | None = None,
        found: bool = False,
    ) -> bool:
        note = {"remote_id": remote_id, "remote_url": url, "sent_at": now}
        return self._note(post, SENT, "would be published", **note)

    def sent_then_claim(
        self,
        post: QueuedPost,
        now: datetime,
        remote_id: str,
        url: str | None,
        next_id: Claimable | None = None,
        found: bool = False,
    ) -> tuple[bool, ClaimedPost | None]:
        recorded = self.mark_sent(post, now, remote_id, url, found)
        return recorded, self.claim(next_id, now) if recorded and next_id else None

    def reschedule(
        self,
        post: QueuedPost,
        now: datetime,
        not_before: datetime,
        error: str,
        counts: bool = True,
    ) -> bool:
        return self._note(post, SCHEDULED, f"would be retried: {error}", last_error=error)

    def mark_failed(self, post: QueuedPost, now: datetime, error: str) -> bool:
        return self._note(post, FAILED, f"would fail: {error}", last_error=error)

    def mark_unknown(self, post: QueuedPost, now: datetime, error: str) -> bool:
        return self._note(post, UNKNOWN, f"would be unknown: {error}", last_error=error)

    def mark_missed(self, post: QueuedPost, now: datetime, reason: str) -> bool:
        return self._note(post, MISSED, f"would be missed: {reason}", last_error=reason)

    def _next_due(self, which: NextDue, now: datetime) -> str | None:
        """The id of the post the real claim of ``which`` would take, if any. The platform's
        due first posts are read once and taken in turn (read again when used up), not read
        anew for every claim of a burst."""
        waiting = self._waiting.setdefault(which.platform, deque())
        for refill in (False, True):
            if refill:
                due = self.due(now)  # without the posts noted already
                waiting.extend(p for p in due if p.platform == which.platform and not p.previous_id)
            while waiting:
                post = waiting.popleft()
                if post.id not in self._notes and which.oldest <= post.due_at <= now:
                    return post.id
        return None

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
