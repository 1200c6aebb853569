"""The daemon's side of the ledger: claiming posts and recording what became of them.

A :class:`WorkerLedger` is one daemon (a :class:`WorkerId`) working on one ledger; the
daemon's publisher, runtime and scheduler call it directly. Every move is one transaction
guarded by the state it expects (and, once claimed, by the worker holding the claim), so two
daemons on one database can never both publish a post: :meth:`WorkerLedger.claim` is
``UPDATE … WHERE state = 'scheduled' … RETURNING`` and only the caller whose update changed
a row goes on, with the content of the row as that update left it (and its images' bytes,
read in the same transaction): what is claimed is what is sent, even when ``campaign
schedule`` edited the post a moment before. Each move writes or closes an ``attempts`` row
and logs one line on logger ``campaign.daemon``.

The statements a publishing daemon runs per post (read, claim, outcome) are plain DB-API SQL
in :mod:`campaign.store.hotpath`; an outcome may carry the claim of the account's next post in
its transaction (:meth:`WorkerLedger.mark_sent`). On SQLite the threads of one process take
turns through a lock (see :meth:`_transaction`).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Engine, Table, and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from campaign.platforms.images import Image
from campaign.render.post import post_id
from campaign.store import history
from campaign.store.engine import is_sqlite, reading
from campaign.store.hotpath import SQLITE_TURN, Claimable, HotPath, Outcome, Taken, Upcoming
from campaign.store.meta import ledger_id
from campaign.store.queued import QueuedPost
from campaign.store.schema import AttemptRow, HeartbeatRow, PostRow
from campaign.store.states import FAILED, MISSED, SCHEDULED, SENDING, SENT, UNKNOWN

log = logging.getLogger("campaign.daemon")

_posts = cast(Table, PostRow.__table__)
_attempts = cast(Table, AttemptRow.__table__)
_beats = cast(Table, HeartbeatRow.__table__)


class HasEngine(Protocol):
    """What a worker needs of a ledger (e.g. :class:`~campaign.store.ledger.Ledger`)."""

    @property
    def engine(self) -> Engine: ...


@dataclass(frozen=True)
class WorkerId:
    """One daemon process: its host, process id and a random token for this incarnation.

    Written as ``host:pid:token`` in the ledger (the holder of a claim, a heartbeat's key).
    """

    host: str
    pid: int
    token: str

    @classmethod
    def mine(cls) -> WorkerId:
        """A fresh id for this process."""
        return cls(socket.gethostname(), os.getpid(), secrets.token_hex(4))

    @classmethod
    def parse(cls, text: str) -> WorkerId | None:
        """The id written as ``text``, or ``None`` if it is not one of ours."""
        parts = text.rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


@dataclass(frozen=True)
class ClaimedPost:
    """A post this worker just moved to ``sending``: its row as the claim left it, and the
    bytes of its images. ``missing`` names images whose bytes the ledger lacks (only in a
    ledger upgraded while their files could not be read): such a post must not go out."""

    post: QueuedPost
    images: tuple[Image, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """A post in ``sending``: who claimed it and when (for crash recovery)."""

    post: QueuedPost
    worker: str | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class Heartbeat:
    """A daemon that has worked on this ledger and when it last said it was alive."""

    worker: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    stopped: bool
    problem: str | None = None


def heartbeats(ledger: HasEngine) -> list[Heartbeat]:
    """Every worker that has beaten on ``ledger``, most recent first (for ``status`` too)."""
    query = select(_beats).order_by(_beats.c.beat_at.desc())
    with reading(ledger.engine) as connection:
        return [Heartbeat(**row) for row in connection.execute(query).mappings()]


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction, committed when the block ends (rolled back on error)."""
    turn = SQLITE_TURN if is_sqlite(engine) else nullcontext()
    with turn, engine.begin() as connection:
        yield connection


def _log(level: int, event: str, post: QueuedPost, state: str, message: str, **extra: Any) -> None:
    fields = {"event": event, "post_id": post.id, "platform": post.platform, "state": state}
    log.log(level, message, extra={"fields": {**fields, **extra}})


def due_by(before: Any) -> ColumnElement[bool]:
    """Scheduled posts whose time (and retry time, if any) is at or before ``before``."""
    return and_(
        _posts.c.state == SCHEDULED,
        _posts.c.scheduled_at <= before,
        or_(_posts.c.not_before.is_(None), _posts.c.not_before <= before),
    )


def next_part_id(post: QueuedPost) -> str | None:
    """The id of the thread part that replies to ``post``, or ``None`` after the last part.

    A post in another language than its campaign's main one has the language in its id
    (see :func:`campaign.render.post.post_id`), and so have the other parts of its thread.
    """
    if post.thread >= post.thread_size:
        return None
    plan = (post.campaign, post.event, post.announcement, post.platform)
    language = post.language if post.id != post_id(*plan, post.thread) else None
    return post_id(*plan, post.thread + 1, language)


class WorkerLedger:
    """The ledger as one daemon, ``worker``, reads and moves it."""

    def __init__(self, ledger: HasEngine, worker: WorkerId) -> None:
        self.engine = ledger.engine
        self.worker = worker
        self.me = str(worker)
        # Claims only in the ledger opened now: not in one that replaced it while this ran.
        self._hot = HotPath(ledger.engine, ledger_id(ledger.engine))

    # --- reads ---------------------------------------------------------------------------

    def get(self, post_id: str) -> QueuedPost | None:
        """The post with id ``post_id``, or ``None``."""
        return self._hot.get(post_id)

    def next_part(self, post: QueuedPost) -> QueuedPost | None:
        """The thread part that replies to ``post``, or ``None`` after the last part."""
        following = next_part_id(post)
        return self.get(following) if following is not None else None

    def due(self, now: datetime, limit: int | None = None) -> list[QueuedPost]:
        """Scheduled posts due at ``now``, oldest first, thread parts in order."""
        query = select(_posts).where(due_by(now)).order_by(_posts.c.scheduled_at, _posts.c.thread)
        with reading(self.engine) as connection:
            rows = connection.execute(query.limit(limit)).mappings().all()
        return [QueuedPost.from_row(row) for row in rows]

    def upcoming(self, until: datetime, limit: int | None = None) -> dict[str, Upcoming]:
        """The scheduled posts due by ``until`` by id, earliest ``limit`` first."""
        return self._hot.upcoming(until, limit)

    def platforms_due(self, until: datetime) -> set[str]:
        """The platforms of the scheduled posts due by ``until`` (to connect before they are)."""
        query = select(_posts.c.platform).where(due_by(until)).distinct()
        with reading(self.engine) as connection:
            return set(connection.execute(query).scalars())

    def stuck_sending(self) -> list[Claim]:
        """Every post in ``sending`` with the worker that claimed it."""
        query = select(_posts).where(_posts.c.state == SENDING).order_by(_posts.c.claimed_at)
        with reading(self.engine) as connection:
            rows = connection.execute(query).mappings().all()
        return [Claim(QueuedPost.from_row(r), r["claimed_by"], r["claimed_at"]) for r in rows]

    def heartbeats(self) -> list[Heartbeat]:
        """Every worker that has beaten on this ledger, most recent first."""
        return heartbeats(self)

    def attempted(self) -> set[str]:
        """The ids of the posts this worker has claimed (``run --once`` reports on them)."""
        query = select(_attempts.c.post_id).where(_attempts.c.worker == self.me).distinct()
        with reading(self.engine) as connection:
            return set(connection.execute(query).scalars())

    # --- moves ---------------------------------------------------------------------------

    def claim(self, which: Claimable, now: datetime) -> ClaimedPost | None:
        """Move the post ``which`` names (an id, or a platform's earliest due first post: see
        :class:`~campaign.store.hotpath.NextDue`) from ``scheduled`` to ``sending`` if it is due
        at ``now``, and return what to publish; ``None`` if none was claimed.

        The conditional update is the lock: of two daemons racing for one post, exactly one
        sees a changed row. A post whose retry time (or, after a new ``schedule``, whose
        time) is still ahead is not claimed either. The content returned is the row as the
        update left it, never an earlier read.
        """
        taken = self._hot.claim(which, self.me, now)
        return self._claimed(taken) if taken else None

    def take_over(self, stuck: Claim, now: datetime) -> bool:
        """Make this worker the holder of a post a dead worker left in ``sending``.

        Conditional on the dead worker still holding it, so only one daemon recovers it.
        """
        holder = _posts.c.claimed_by
        held = holder.is_(None) if stuck.worker is None else holder == stuck.worker
        with _transaction(self.engine) as connection:
            changed = connection.execute(
                update(_posts)
                .where(_posts.c.id == stuck.post.id, _posts.c.state == SENDING, held)
                .values(claimed_by=self.me, claimed_at=now, updated_at=now)
            ).rowcount
            if changed == 1:
                why = f"taken over from {stuck.worker or 'a worker'}, which is gone"
                moved = history.change(
                    stuck.post.id, SENDING, SENDING, now, worker=self.me, reason=why
                )
                history.record(connection, [moved])
        if changed == 1:
            _log(
                logging.WARNING,
                "recovering",
                stuck.post,
                SENDING,
                f"left in sending by {stuck.worker}, which is gone; looking for it on the platform",
                worker=self.me,
            )
        return changed == 1

    def mark_sent(
        self,
        post: QueuedPost,
        now: datetime,
        remote_id: str,
        url: str | None = None,
        found: bool = False,
    ) -> bool:
        """Record ``post`` as published as ``remote_id`` at ``url`` (``found``: by a look-back)."""
        return self.sent_then_claim(post, now, remote_id, url, found=found)[0]

    def sent_then_claim(
        self,
        post: QueuedPost,
        now: datetime,
        remote_id: str,
        url: str | None,
        next_id: Claimable | None = None,
        found: bool = False,
    ) -> tuple[bool, ClaimedPost | None]:
        """Record ``post`` as sent (see :meth:`mark_sent`) and, in the same transaction, claim
        ``next_id`` (see :meth:`claim`): the account's next post, whose claim then costs no
        commit of its own. Returns whether ``post`` was recorded, and the next post if claimed.
        """
        outcome = Outcome(SENT, "found" if found else "sent", remote_id=remote_id, remote_url=url)
        recorded, taken = self._finish(post, now, outcome, next_id)
        if recorded:
            how = "found on the platform by look-back" if found else "published"
            _log(logging.INFO, "sent", post, SENT, how, remote_id=remote_id, url=url)
        return recorded, self._claimed(taken) if taken else None

    def reschedule(
        self,
        post: QueuedPost,
        now: datetime,
        not_before: datetime,
        error: str,
        counts: bool = True,
    ) -> bool:
        """Put ``post`` back to ``scheduled``, not to be tried before ``not_before``.

        ``counts`` adds one to the post's failed attempts (a retryable error); a rate limit is
        the account's, not the post's, and does not count.
        """
        word = "retry" if counts else "rate_limited"
        outcome = Outcome(SCHEDULED, word, not_before=not_before, error=error, counts=int(counts))
        if not self._finish(post, now, outcome)[0]:
            return False
        _log(
            logging.WARNING,
            word,
            post,
            SCHEDULED,
            f"{error}; next try at {not_before.isoformat(timespec='seconds')}",
            not_before=not_before.isoformat(),
            attempts=post.attempts + int(counts),
        )
        return True

    def mark_failed(self, post: QueuedPost, now: datetime, error: str) -> bool:
        """Record that ``post`` cannot be published (``error`` says what a person should do)."""
        if not self._finish(post, now, Outcome(FAILED, "failed", error=error))[0]:
            return False
        _log(logging.ERROR, "failed", post, FAILED, error, attempts=post.attempts + 1)
        return True

    def mark_unknown(self, post: QueuedPost, now: datetime, error: str) -> bool:
        """Record that ``post`` may or may not be on its platform: a person must look."""
        if not self._finish(post, now, Outcome(UNKNOWN, "unknown", error=error))[0]:
            return False
        message = f"{error}; check the account, then run 'campaign resolve {post.id}'"
        _log(logging.ERROR, "unknown", post, UNKNOWN, message)
        return True

    def mark_missed(self, post: QueuedPost, now: datetime, reason: str) -> bool:
        """Record that ``post``'s time passed by more than the grace window without it going
        out. Only from ``scheduled``; logged at ERROR so that nobody learns of it days later.
        """
        with _transaction(self.engine) as connection:
            changed = connection.execute(
                update(_posts)
                .where(_posts.c.id == post.id, _posts.c.state == SCHEDULED)
                .values(state=MISSED, last_error=reason, updated_at=now)
            ).rowcount
            if changed == 1:
                connection.execute(
                    insert(_attempts).values(
                        post_id=post.id,
                        worker="",
                        started_at=now,
                        finished_at=now,
                        outcome="missed",
                        error=reason,
                    )
                )
                moved = history.change(
                    post.id, SCHEDULED, MISSED, now, reason="missed", error=reason
                )
                history.record(connection, [moved])
        if changed == 1:
            _log(
                logging.ERROR,
                "missed",
                post,
                MISSED,
                f"{reason}; not published. To publish it anyway: campaign retry {post.id}",
                scheduled_at=post.scheduled_at.isoformat(),
            )
        return changed == 1

    # --- heartbeats ----------------------------------------------------------------------

    def beat(self, now: datetime, problem: str | None = None) -> None:
        """Say that this worker is alive at ``now`` (creating its row on the first beat), and
        what keeps it from working, if anything (``campaign status`` shows it)."""
        with _transaction(self.engine) as connection:
            changed = connection.execute(
                update(_beats)
                .where(_beats.c.worker == self.me)
                .values(beat_at=now, stopped=False, problem=problem)
            ).rowcount
            if changed == 0:
                connection.execute(
                    insert(_beats).values(
                        worker=self.me,
                        host=self.worker.host,
                        pid=self.worker.pid,
                        started_at=now,
                        beat_at=now,
                        stopped=False,
                        problem=problem,
                    )
                )

    def stop(self, now: datetime) -> None:
        """Record that this worker exited cleanly (so it is not taken for a crashed one)."""
        with _transaction(self.engine) as connection:
            connection.execute(
                update(_beats)
                .where(_beats.c.worker == self.me)
                .values(beat_at=now, stopped=True, problem=None)
            )

    # --- helpers -------------------------------------------------------------------------

    def _claimed(self, taken: Taken) -> ClaimedPost:
        """What a claim returns, logged."""
        post = taken.post
        _log(
            logging.INFO, "claimed", post, SENDING, "publishing", worker=self.me, thread=post.thread
        )
        return ClaimedPost(post, taken.images, taken.missing)

    def _finish(
        self, post: QueuedPost, now: datetime, outcome: Outcome, next_id: Claimable | None = None
    ) -> tuple[bool, Taken | None]:
        """Record ``outcome`` for ``post`` and close its open attempt (then claim ``next_id``).

        False, logged at ERROR, when this worker no longer holds ``post`` (another daemon
        took it over): then nothing is recorded here, and nothing claimed.
        """
        recorded, taken = self._hot.finish(post.id, self.me, now, outcome, next_id)
        if not recorded:
            _log(
                logging.ERROR,
                "claim_lost",
                post,
                SENDING,
                f"no longer held by {self.me}; its outcome ({outcome.outcome}) was not recorded "
                "here",
            )
        return recorded, taken
