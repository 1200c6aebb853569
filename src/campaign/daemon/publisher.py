"""Publishing one post: check it is due, claim it, call its platform, record what happened.

The rules that make a post go out exactly once and on time live here:

- a post is claimed (``scheduled`` → ``sending``, atomically) before its platform is called,
  and only while holding its account's lane, so at most one post per account is in flight;
  the thread holding the lane records a sent post and claims the account's next one (the next
  part of its thread, else a thread part left in the lane's line, else the platform's earliest
  due first post, found by the claim) in one transaction, then sends that one too: one commit
  per post instead of two, and still one post per account in ``sending``. A job whose account
  lane is held leaves its post to the holder (:class:`Handed`) instead of waiting, so its
  thread is free for other accounts; several daemons' holders take different posts;
- what goes out is what the claim returned (the row as the claim left it, its images' bytes
  from the ledger), never an earlier read: a post ``campaign schedule`` edited while it
  waited for its lane goes out as edited, or waits for its new time;
- a post later than the grace window becomes ``missed`` (ERROR), never posted days late;
- a thread part goes out only after the previous part is ``sent``, replying to it;
- errors map to moves: retryable → back off and retry (bounded, then ``failed``), rate
  limited → the account waits until its reset time, permanent → ``failed``, unknown outcome
  (or a crash in ``sending``) → look back: found → ``sent``; not found → retried where the
  platform's look-back is reliable, else ``unknown`` for a person. Never a blind repost;
- a look-back that fails for a while (retryable, rate limited) keeps the post in ``sending``
  and is made again later; one that cannot tell (outcome unknown, permanent) → ``unknown``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from campaign.adapters.base import Adapter, Outgoing
from campaign.daemon.backoff import retry_delay
from campaign.daemon.clock import Clock
from campaign.daemon.config import DaemonSettings
from campaign.daemon.connections import Connections
from campaign.daemon.identity import WorkerId, is_gone, live_workers
from campaign.daemon.logs import event
from campaign.daemon.ratelimits import AccountGate, Lane
from campaign.errors import OutcomeUnknown, PermanentError, RateLimited, RetryableError
from campaign.platforms.images import Image
from campaign.store.cards import cards_for
from campaign.store.hotpath import Claimable, NextDue
from campaign.store.queued import QueuedPost
from campaign.store.states import SCHEDULED, SENT
from campaign.store.worker import Claim, ClaimedPost, WorkerLedger, next_part_id

# Writes of an outcome tried once stopping was asked for, before giving up (and saying so).
WRITE_TRIES_WHEN_STOPPING = 5


@dataclass(frozen=True)
class _Ticket:
    """The post to claim next in an account's lane (an id, or the platform's next due post)
    and what it replies to."""

    post_id: Claimable
    reply_to: str | None
    thread_root: str | None


@dataclass(frozen=True)
class Handed:
    """:meth:`Publisher.publish`'s answer when the post was left to the thread holding
    ``account``'s lane, which publishes it in turn; if that thread stops before (a rate
    limit, stopping), the post is still ``scheduled`` and its job must run again once the
    lane is free (:meth:`AccountGate.busy`)."""

    account: str


@dataclass
class Publisher:
    """Publishes posts through ``connections``, recording each move in ``book`` (the ledger as
    this worker moves it, or a dry run's notebook)."""

    book: WorkerLedger
    connections: Connections
    settings: DaemonSettings
    clock: Clock
    stopping: threading.Event = field(default_factory=threading.Event)
    gate: AccountGate = field(default_factory=AccountGate)
    rng: random.Random = field(default_factory=random.Random)
    _inflight: set[str] = field(default_factory=set)
    # Posts this worker holds in ``sending`` whose look-back must be made again.
    _look_again: set[str] = field(default_factory=set)
    # Why outcomes cannot be written right now (for the heartbeat), None while they can.
    write_problem: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, post_id: str, first_on: str | None = None) -> datetime | Handed | None:
        """Publish post ``post_id`` if it is due, then the thread parts that follow it.

        ``first_on``: the platform of a first post (not a later thread part), which is handed
        to a thread publishing that platform's posts, if any, without reading it.

        Returns a time to try again when the post had to wait without anything recorded
        (its account is rate-limited), :class:`Handed` when the thread holding its account's
        lane takes it on, else ``None``: the ledger says what happened.
        """
        account = self.gate.hand_over(first_on) if first_on is not None else None
        if account is not None:
            return Handed(account)
        next_id: str | None = post_id
        while next_id is not None and not self.stopping.is_set():
            post = self.book.get(next_id)
            if post is None or post.state != SCHEDULED:
                return None
            outcome = self._publish_one(post)
            if isinstance(outcome, datetime | Handed):
                return outcome
            if outcome is None:
                return None
            following = self.book.next_part(outcome)
            next_id = following.id if following else None
        return None

    def recover_stuck(self) -> None:
        """Settle every post left in ``sending`` by a worker that is gone, or by this one after
        a look-back that could not be made yet; posts of live workers are left alone."""
        claims = self.book.stuck_sending()
        if not claims:
            return
        now = self.clock.now()
        live = live_workers(self.book.heartbeats(), now, self.settings.stale_after)
        with self._lock:
            busy = set(self._inflight)
        for claim in claims:
            if self.stopping.is_set():
                return
            mine = claim.worker == self.me and claim.post.id in self._look_again
            if claim.post.id not in busy and (mine or is_gone(claim.worker, self.worker, live)):
                self._recover(claim)

    # --- one post ------------------------------------------------------------------------

    def _publish_one(self, post: QueuedPost) -> QueuedPost | datetime | Handed | None:
        """The last post sent when ``post`` was sent in this thread; a time when its account
        must wait; :class:`Handed` when the lane's holder takes it on; else ``None``."""
        now = self.clock.now()
        due_at = post.due_at
        if due_at > now:
            return None
        reply_to = thread_root = None
        if post.previous_id is not None:
            previous = self.book.get(post.previous_id)
            if previous is None or previous.state != SENT:
                waiting = previous.state if previous else "gone from the ledger"
                if now - due_at > self.settings.grace:
                    self._miss(post, now, due_at, f"the previous thread part is {waiting}")
                return None
            due_at = max(due_at, previous.sent_at or due_at)
            reply_to, thread_root = self._thread_ids(post, previous)
        if now - due_at > self.settings.grace:
            self._miss(post, now, due_at, "the daemon was not running or could not keep up")
            return None
        with self.connections.lease(post.platform) as adapter:
            if adapter is None:
                return None
            return self._send(post, adapter, reply_to, thread_root)

    def _send(
        self, post: QueuedPost, adapter: Adapter, reply_to: str | None, thread_root: str | None
    ) -> QueuedPost | datetime | Handed | None:
        """Claim and publish ``post`` holding its account's lane, then the account's next
        posts, each claimed with the outcome of the one before, until none is due; the last
        post sent, a time when the account must wait, or :class:`Handed` when another thread
        holds the lane (a thread part leaves what it replies to in the lane's line; a first
        post is found in the ledger by the holder)."""
        account = adapter.account_key
        blocked = self.gate.blocked_until(account, self.clock.now())
        if blocked is not None:
            return blocked
        lane = self.gate.publishing(post.platform, account)
        ticket = _Ticket(post.id, reply_to, thread_root)
        if not lane.enter(post.id, ticket if post.previous_id is not None else None):
            return Handed(account)
        last_sent: QueuedPost | None = None
        idle = False
        tried = False  # the ticket's claim already found nothing, with the last outcome
        try:
            while self._may_go_on(post.platform, adapter):
                claimed = None if tried else self.book.claim(ticket.post_id, self.clock.now())
                tried = False
                if claimed is None:
                    idle = isinstance(ticket.post_id, NextDue) and lane.release_if_idle()
                    if idle:
                        break
                    ticket = self._next_in_lane(lane, post.platform)
                    continue
                while claimed is not None:
                    current = claimed.post
                    self._track(current.id, True)
                    try:
                        sent, claimed, following = self._publish_claimed(
                            claimed, adapter, ticket, lane
                        )
                    finally:
                        self._track(current.id, False)
                    if sent:
                        last_sent = current
                    # A following post not claimed with a recorded outcome (the claim lost
                    # to another daemon) is not tried again: it may be the next thread part.
                    ticket = (following if sent else None) or self._next_in_lane(
                        lane, post.platform
                    )
                    tried = sent and following is not None
        finally:
            if not idle:  # paused (a rate limit) or stopping: what was left runs again later
                lane.let_go()
        return last_sent

    def _may_go_on(self, platform: str, adapter: Adapter) -> bool:
        """Whether the holder of ``adapter``'s account lane may publish another post now: not
        stopping, the account not rate-limited, and the adapter not forgotten (its
        credentials refused: the next post checks them again with a new one, and stays
        scheduled if they are still refused)."""
        if self.stopping.is_set() or not self.connections.live(platform, adapter):
            return False
        return self.gate.blocked_until(adapter.account_key, self.clock.now()) is None

    def _next_in_lane(self, lane: Lane, platform: str) -> _Ticket:
        """What the lane's holder claims next: a thread part left in its line, else the
        platform's earliest due first post still within the grace window."""
        waiting: _Ticket | None = lane.take_next()
        if waiting is not None:
            return waiting
        return _Ticket(NextDue(platform, self.grace_start()), None, None)

    def _publish_claimed(
        self, claimed: ClaimedPost, adapter: Adapter, ticket: _Ticket, lane: Lane
    ) -> tuple[bool, ClaimedPost | None, _Ticket | None]:
        """Call the platform for a post this worker holds in ``sending`` with exactly what the
        claim returned, and record what happened; the caller holds the account's lane.

        Returns whether it was sent, the post claimed with its outcome (see
        :meth:`_successor`) and what that one is and replies to (also when its claim found
        nothing, to try it again on its own).
        """
        post = claimed.post
        if claimed.missing:
            why = _missing_images(post, claimed.missing)
            now = self.clock.now()
            self._record(post, "failed", lambda: self.book.mark_failed(post, now, why))
            return False, None, None
        outgoing = outgoing_of(post, claimed.images, ticket.reply_to, ticket.thread_root)
        card = adapter.card_link(post.text) if not claimed.images else None
        try:
            if card is not None:  # the card read at `schedule`, if the page could be read
                outgoing = replace(outgoing, card=cards_for(self.book.engine, [card]).get(card))
            receipt = adapter.publish(outgoing)
        except RateLimited as exc:
            self.gate.block(adapter.account_key, exc.reset_at or self._retry_at(1))
            self._settle(post, adapter, outgoing, exc)
            return False, None, None
        except Exception as exc:  # any other failure, even an adapter bug, is settled
            self._settle(post, adapter, outgoing, exc)
            return False, None, None
        now = self.clock.now()
        following = self._successor(post, receipt.remote_id, ticket, lane)
        taken: ClaimedPost | None = None

        def record() -> bool:
            nonlocal taken
            next_id = following.post_id if following else None
            if isinstance(next_id, NextDue):  # a write tried again later: the window moved
                next_id = replace(next_id, oldest=self.grace_start())
            recorded, taken = self.book.sent_then_claim(
                post, now, receipt.remote_id, receipt.url, next_id
            )
            return recorded

        sent = self._record(post, f"sent as {receipt.remote_id}", record)
        return sent, taken, following

    def _successor(
        self, post: QueuedPost, remote_id: str, ticket: _Ticket, lane: Lane
    ) -> _Ticket | None:
        """The account's next post, to claim with ``post``'s outcome: the next part of its
        thread (replying to it), else what :meth:`_next_in_lane` gives; ``None`` once
        stopping. A part is due once the part before it is sent, so the grace window (checked
        against its time or the previous part's, the later) cannot have passed for it."""
        if self.stopping.is_set():
            return None
        following = next_part_id(post)
        if following is not None:
            root = remote_id if post.thread == 1 else ticket.thread_root
            return _Ticket(following, remote_id, root)
        return self._next_in_lane(lane, post.platform)

    def _settle(
        self, post: QueuedPost, adapter: Adapter, outgoing: Outgoing, exc: Exception
    ) -> None:
        """Record the outcome of a publish call that raised ``exc``."""
        now = self.clock.now()
        message = str(exc) or type(exc).__name__
        if isinstance(exc, RateLimited):
            until = self.gate.blocked_until(adapter.account_key, now) or now
            self._record(
                post, "rate limited", lambda: self.book.reschedule(post, now, until, message, False)
            )
        elif isinstance(exc, RetryableError):
            self._retry_or_fail(post, message)
        elif isinstance(exc, PermanentError):
            self._record(post, "failed", lambda: self.book.mark_failed(post, now, message))
            # Credentials are checked again before the next use; posts holding it finish first.
            self.connections.forget(post.platform)
        else:
            if not isinstance(exc, OutcomeUnknown):
                event(
                    logging.ERROR,
                    "adapter_error",
                    f"unexpected error from the {post.platform} adapter: {message}",
                    post_id=post.id,
                    platform=post.platform,
                )
            self._look_back(post, adapter, outgoing, message, retry_at=None)

    def _retry_or_fail(self, post: QueuedPost, message: str, at: datetime | None = None) -> None:
        """Back off and retry ``post``, or fail it once it used up its attempts."""
        tries = post.attempts + 1
        now = self.clock.now()
        if tries >= self.settings.max_attempts:
            why = f"{message} (gave up after {tries} attempts)"
            self._record(post, "failed", lambda: self.book.mark_failed(post, now, why))
        else:
            until = at or self._retry_at(tries)
            self._record(post, "to retry", lambda: self.book.reschedule(post, now, until, message))

    def _look_back(
        self,
        post: QueuedPost,
        adapter: Adapter,
        outgoing: Outgoing,
        reason: str,
        retry_at: datetime | None,
    ) -> None:
        """Find out whether ``post`` (held in ``sending``) reached its platform, and record it.

        ``retry_at``: when to send it again if it provably did not (``None``: back off). A
        look-back that fails for now leaves the post in ``sending``, to be made again at the
        next poll (after the reset time when rate-limited); one that cannot tell makes it
        ``unknown``: a failed look-back is never taken for "not there".
        """
        account = adapter.account_key
        self._look_again.discard(post.id)
        try:
            with self.gate.lane(account):
                found = adapter.look_back(outgoing)
        except OutcomeUnknown as exc:  # the adapter says only a person can tell
            why = f"{reason}; {exc}"
            now = self.clock.now()
            self._record(post, "unknown", lambda: self.book.mark_unknown(post, now, why))
            return
        except (RetryableError, RateLimited) as exc:
            when = "at the next poll"
            if isinstance(exc, RateLimited):
                self.gate.block(account, exc.reset_at or self._retry_at(1))
                when = "once the rate limit resets"
            self._look_again.add(post.id)
            event(
                logging.WARNING,
                "look_back_failed",
                f"{reason}; could not look for it on {adapter.spec.title} yet ({exc}); it stays "
                f"in sending and is looked for again {when}",
                post_id=post.id,
                platform=post.platform,
                state="sending",
            )
            return
        except Exception as exc:  # a permanent refusal (e.g. no read permission) or a bug
            message = f"{reason}; looking for it failed: {exc}"
            now = self.clock.now()
            self._record(post, "unknown", lambda: self.book.mark_unknown(post, now, message))
            return
        now = self.clock.now()
        if found is not None:
            self._record(
                post,
                f"found as {found.remote_id}",
                lambda: self.book.mark_sent(post, now, found.remote_id, found.url, found=True),
            )
        elif adapter.look_back_reliable:
            self._retry_or_fail(post, f"{reason}; it is not on {post.platform}", retry_at)
        else:
            why = (
                f"{reason}; it was not found on {adapter.spec.title}, whose look-back cannot "
                "prove it never arrived"
            )
            self._record(post, "unknown", lambda: self.book.mark_unknown(post, now, why))

    def _recover(self, claim: Claim) -> None:
        """Settle one post left in ``sending`` (by a gone worker, or by this one after a failed
        look-back) by looking it up, holding its account's lane throughout."""
        with self.connections.lease(claim.post.platform) as adapter:
            if adapter is not None:
                self._recover_with(claim, adapter)

    def _recover_with(self, claim: Claim, adapter: Adapter) -> None:
        post = claim.post
        if self.gate.blocked_until(adapter.account_key, self.clock.now()) is not None:
            return  # rate-limited: looked for after the reset
        if self.gate.busy(adapter.account_key):
            return  # publishing: looked for at a later poll, not holding this one up
        with self.gate.lane(adapter.account_key):
            now = self.clock.now()
            if claim.worker != self.me and not self.book.take_over(claim, now):
                return
            reply_to = thread_root = None
            if post.previous_id is not None:
                previous = self.book.get(post.previous_id)
                if previous is not None:
                    reply_to, thread_root = self._thread_ids(post, previous)
            reason = (
                "its outcome was not recorded and an earlier look-back failed"
                if claim.worker == self.me
                else f"the worker publishing it ({claim.worker}) stopped before recording the "
                "outcome"
            )
            self._track(post.id, True)
            try:
                # Not found on a reliable platform: due again from when it was claimed, so
                # the grace window still decides whether it may go out this late.
                outgoing = outgoing_of(post, (), reply_to, thread_root)
                self._look_back(post, adapter, outgoing, reason, claim.claimed_at or now)
            finally:
                self._track(post.id, False)

    # --- helpers -------------------------------------------------------------------------

    def _record(self, post: QueuedPost, outcome: str, move: Callable[[], bool]) -> bool:
        """Make ``move``, the ledger move recording what became of ``post`` (held in
        ``sending``), trying again until the ledger takes it: a full disk or a read-only
        ledger must not make the daemon forget that a post went out.

        While it fails, :attr:`write_problem` says why (the heartbeat carries it to ``campaign
        status`` when it can be written). Once stopping, it gives up after a few more tries and
        says at CRITICAL what a person must record; the post stays in ``sending`` and the next
        daemon looks for it on the platform.
        """
        tries = 0
        while True:
            try:
                recorded = move()
            except SQLAlchemyError as exc:
                tries += 1
                reason = str(getattr(exc, "orig", None) or exc)
                self.write_problem = f"cannot write to the ledger: {reason}"
                if tries == 1:
                    event(
                        logging.ERROR,
                        "ledger_write_failed",
                        f"post {post.id} is {outcome} but the ledger cannot record it ({reason}); "
                        "trying again until it can",
                        post_id=post.id,
                        platform=post.platform,
                        state="sending",
                    )
                if self.stopping.is_set() and tries >= WRITE_TRIES_WHEN_STOPPING:
                    event(
                        logging.CRITICAL,
                        "outcome_not_recorded",
                        f"stopping before post {post.id} could be recorded as {outcome} "
                        f"({reason}); it stays in sending and the next start looks for it on "
                        f"{post.platform}, or record it: campaign resolve {post.id}",
                        post_id=post.id,
                        platform=post.platform,
                        state="sending",
                    )
                    return False
                time.sleep(self._write_retry_delay(tries))
                continue
            if tries:
                self.write_problem = None
                event(
                    logging.WARNING,
                    "ledger_write_recovered",
                    f"post {post.id} recorded as {outcome} after {tries} failed write(s)",
                    post_id=post.id,
                    platform=post.platform,
                )
            return recorded

    def _write_retry_delay(self, tries: int) -> float:
        """Seconds before writing again: backing off, never longer than one poll."""
        cap = min(self.settings.backoff_cap_seconds, self.settings.poll_seconds)
        base = min(self.settings.backoff_seconds, cap)
        return retry_delay(tries, base, cap, self.rng).total_seconds()

    def grace_start(self, now: datetime | None = None) -> datetime:
        """The earliest due time a post may still go out at, at ``now`` (default: the clock's
        now): older ones are missed."""
        return (now or self.clock.now()) - self.settings.grace

    @property
    def worker(self) -> WorkerId:
        """Who this publisher is in the ledger: its book's worker."""
        return self.book.worker

    @property
    def me(self) -> str:
        return self.book.me

    def _thread_ids(self, post: QueuedPost, previous: QueuedPost) -> tuple[str | None, str | None]:
        """``reply_to`` and ``thread_root`` for a thread part after ``previous``."""
        if previous.thread == 1:
            return previous.remote_id, previous.remote_id
        root = self.book.get(post.root_id)
        return previous.remote_id, root.remote_id if root else None

    def _retry_at(self, tries: int) -> datetime:
        delay = retry_delay(
            tries, self.settings.backoff_seconds, self.settings.backoff_cap_seconds, self.rng
        )
        return self.clock.now() + delay

    def _miss(self, post: QueuedPost, now: datetime, due_at: datetime, why: str) -> None:
        late = _duration(now - due_at)
        local = post.local_time.strftime("%Y-%m-%d %H:%M %Z")
        reason = (
            f"due at {due_at:%Y-%m-%d %H:%M:%S} UTC ({local}) and {late} late, beyond the "
            f"{_duration(self.settings.grace)} grace window ({why})"
        )
        self.book.mark_missed(post, now, reason)

    def _track(self, post_id: str, busy: bool) -> None:
        with self._lock:
            if busy:
                self._inflight.add(post_id)
            else:
                self._inflight.discard(post_id)


def outgoing_of(
    post: QueuedPost,
    images: tuple[Image, ...],
    reply_to: str | None,
    thread_root: str | None,
) -> Outgoing:
    """What the adapter is asked to publish for ``post`` with the bytes of its ``images``
    (as its claim read them; none for a look-back, which matches on the text)."""
    return Outgoing(
        post_id=post.id,
        text=post.text,
        media=images,
        reply_to=reply_to,
        thread_root=thread_root,
        links=post.links,
        scheduled_at=post.scheduled_at,
        language=post.language,
    )


def _missing_images(post: QueuedPost, paths: tuple[str, ...]) -> str:
    """Why a post whose images are not all in the ledger is not published, and what to do."""
    return (
        f"image {', '.join(paths)} is not stored in the ledger (its file could not be read "
        "when the ledger was upgraded); schedule the campaign again from its folder, then "
        f"`campaign retry {post.id}` if the post is still failed"
    )


def _duration(delta: timedelta) -> str:
    """``2 d 3 h``, ``4 h 5 min``, ``12 min``, ``30 s``: how people say it."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
