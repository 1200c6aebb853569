"""The ledger: the durable queue of every planned post, and the planning side of its API.

``campaign schedule`` syncs a plan into it, ``campaign queue`` lists it, and a person can
``cancel``, ``retry`` or ``resolve`` one post. The daemon's moves (claim, mark sent, back
off, …) live in :mod:`campaign.store.worker` and work on the same tables.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from alembic.util import CommandError
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, Row, func, or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from campaign.errors import LedgerError
from campaign.render.post import Post
from campaign.settings import Settings, default_database_url
from campaign.store import history, migrate, states
from campaign.store.engine import open_engine, parse_url, sqlite_file
from campaign.store.meta import check_writable, keep_links_secret
from campaign.store.queued import QueuedPost
from campaign.store.schema import AttemptRow
from campaign.store.shortlinks import register as register_short_links
from campaign.store.sync import SyncReport, posts_table, sync_posts

MIN_PREFIX = 6
# How many times the daemon took a post to publish it: each claim opens an `attempts` row; a
# post marked missed gets one too, though nothing was tried.
_TRIES = (
    select(func.count())
    .where(
        AttemptRow.post_id == posts_table.c.id,
        or_(AttemptRow.outcome.is_(None), AttemptRow.outcome != "missed"),
    )
    .scalar_subquery()
    .label("tries")
)
CANCEL_FROM = frozenset({states.SCHEDULED, states.FAILED, states.MISSED})
RETRY_FROM = frozenset({states.FAILED, states.MISSED, states.UNKNOWN, states.CANCELLED})
RESOLVE_FROM = frozenset({states.UNKNOWN})


class Ledger:
    """The queue database, opened and upgraded to the current schema."""

    def __init__(self, engine: Engine, *, grace: timedelta, created: bool = False) -> None:
        self.engine = engine
        self.grace = grace
        self.created = created  # whether opening it made a new, empty ledger

    @property
    def where(self) -> str:
        """The ledger's URL for people (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        grace: timedelta | None = None,
        create: bool = True,
        write: bool = False,
    ) -> Ledger:
        """Open the ledger at ``url`` (default: ``CAMPAIGN_DATABASE_URL`` or the user's SQLite
        file), upgrading its schema in place. ``grace`` defaults to the
        ``CAMPAIGN_GRACE_MINUTES`` setting.

        ``create``: make a new ledger (a SQLite file and its folder, or the tables in an
        empty PostgreSQL database) when there is none; without it a missing ledger is an
        error, so a mistyped path is reported instead of silently becoming an empty ledger.
        :attr:`created` says whether one was made. ``write``: check now that the ledger
        takes writes, so a read-only file is reported before any work is done.

        Raises :class:`~campaign.errors.ConfigurationError` for an unusable URL and
        :class:`~campaign.errors.LedgerError` when the database cannot be reached, does not
        exist (without ``create``), is read-only (with ``write``) or was made by a newer
        `campaign`.
        """
        settings = Settings()
        url = url or settings.ledger_url()
        parsed = parse_url(url)
        where = parsed.render_as_string(hide_password=True)
        path = sqlite_file(parsed)
        if not create and path is not None and not path.exists():
            raise LedgerError(_missing(where, path, url == default_database_url()))
        engine = open_engine(url, create=create)
        try:
            created = migrate.current_revision(engine) is None
            if created and not create:
                raise LedgerError(_missing(where, path, url == default_database_url()))
            migrate.upgrade(engine)
            if write:
                check_writable(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise LedgerError(_unusable(where, path, exc)) from None
        except CommandError:
            engine.dispose()
            raise LedgerError(
                f"the ledger at {where} has a newer schema than this `campaign` knows "
                f"({migrate.head_revision()}); upgrade campaign"
            ) from None
        except BaseException:
            engine.dispose()
            raise
        grace = grace or timedelta(minutes=settings.grace_minutes)
        return cls(engine, grace=grace, created=created)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in one transaction: committed when the block ends, else rolled back."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def sync(
        self,
        posts: Sequence[Post],
        *,
        prune: bool = False,
        now: datetime | None = None,
        new_links_secret: SecretStr | None = None,
    ) -> SyncReport:
        """Make the ledger match ``posts`` in one transaction; see :mod:`campaign.store.sync`.

        Idempotent: the same posts again change nothing. ``now`` (UTC) decides which posts are
        already missed. The short codes of the posts' links are stored in the same transaction,
        so the redirector knows every code a queued post carries. Raises
        :class:`~campaign.errors.LedgerError` when two posts share an id. ``new_links_secret``
        is the short-code key the posts were planned with when the ledger had none: it is
        stored in the same transaction (see :func:`~campaign.store.meta.keep_links_secret`).
        """
        with self.engine.begin() as connection:
            if new_links_secret is not None:
                keep_links_secret(connection, new_links_secret)
            report = sync_posts(connection, posts, prune=prune, now=now or _now(), grace=self.grace)
            register_short_links(connection, posts)
            return report

    def list(
        self, state: str | None = None, campaign: str | None = None
    ) -> builtins.list[QueuedPost]:
        """Posts in time order, optionally only those in ``state`` and/or of ``campaign``,
        each with its ``tries``.

        Raises :class:`~campaign.errors.LedgerError` for an unknown state name.
        """
        query = select(posts_table, _TRIES).order_by(
            posts_table.c.scheduled_at,
            posts_table.c.platform,
            posts_table.c.root_id,
            posts_table.c.thread,
        )
        if state is not None:
            query = query.where(posts_table.c.state == states.check_state(state))
        if campaign is not None:
            query = query.where(posts_table.c.campaign == campaign)
        with self.engine.begin() as connection:
            return [QueuedPost.from_row(row) for row in connection.execute(query).mappings()]

    def get(self, post_id: str) -> QueuedPost:
        """The post with id ``post_id``, or with a unique id prefix of at least 6 characters.

        Raises :class:`~campaign.errors.LedgerError` when no post (or several) match.
        """
        with self.engine.begin() as connection:
            return _find(connection, post_id)

    def cancel(self, post_id: str, *, now: datetime | None = None) -> builtins.list[QueuedPost]:
        """Cancel a scheduled, failed or missed post and the later parts of its thread.

        Returns the cancelled posts, the one asked for first. Raises
        :class:`~campaign.errors.LedgerError` when the post may already be published.
        """
        moment = now or _now()
        with self.engine.begin() as connection:
            post = _find(connection, post_id, lock=True)
            _check(post, "cancel", CANCEL_FROM)
            later = connection.execute(
                select(posts_table.c.id, posts_table.c.state).where(
                    posts_table.c.root_id == post.root_id,
                    posts_table.c.thread > post.thread,
                    posts_table.c.state.in_(CANCEL_FROM),
                )
            ).all()
            moves = [(post.id, post.state), *((r.id, r.state) for r in later)]
            connection.execute(
                update(posts_table)
                .where(posts_table.c.id.in_([pid for pid, _ in moves]))
                .values(state=states.CANCELLED, updated_at=moment)
            )
            changes = []
            for pid, old in moves:
                why = "cancelled by hand" if pid == post.id else f"thread part after {post.id}"
                states.log_change(pid, old, states.CANCELLED, why)
                changes.append(history.change(pid, old, states.CANCELLED, moment, reason=why))
            history.record(connection, changes)
            return [_find(connection, pid) for pid, _ in moves]

    def retry(self, post_id: str, *, now: datetime | None = None) -> QueuedPost:
        """Schedule a failed, missed, unknown or cancelled post again, as soon as possible.

        The attempt count is kept; the retry time replaces any back-off as ``not_before``, so
        the daemon measures lateness from it and its grace window does not miss the post
        again at once. Raises :class:`~campaign.errors.LedgerError` when the post is
        scheduled, sending or sent, or when it is a thread part whose previous part will
        not go out (cancelled, failed, missed or unknown): it could only be missed again.
        """
        moment = now or _now()
        return self._move(
            post_id,
            "retry",
            RETRY_FROM,
            states.SCHEDULED,
            moment,
            guard=_previous_part_can_go_out,
            not_before=moment,
        )

    def resolve(
        self,
        post_id: str,
        *,
        posted: str | None,
        url: str | None = None,
        now: datetime | None = None,
    ) -> QueuedPost:
        """Settle a post whose outcome is unknown, after a person looked on the platform.

        With ``posted`` (the platform's id of the post) it becomes ``sent``; with ``None`` it
        was not posted and is scheduled again, due from now as after :meth:`retry`. Raises
        :class:`~campaign.errors.LedgerError` unless the post is ``unknown``, or when it would
        be scheduled again behind a previous thread part that will not go out.
        """
        moment = now or _now()
        if posted is not None:
            return self._move(
                post_id,
                "resolve",
                RESOLVE_FROM,
                states.SENT,
                moment,
                remote_id=posted,
                remote_url=url,
                sent_at=moment,
            )
        return self._move(
            post_id,
            "resolve",
            RESOLVE_FROM,
            states.SCHEDULED,
            moment,
            guard=_previous_part_can_go_out,
            not_before=moment,
        )

    def _move(
        self,
        post_id: str,
        action: str,
        allowed: frozenset[str],
        target: str,
        now: datetime | None,
        guard: Callable[[Connection, QueuedPost], None] | None = None,
        **values: Any,
    ) -> QueuedPost:
        with self.engine.begin() as connection:
            post = _find(connection, post_id, lock=True)
            _check(post, action, allowed)
            if guard is not None:
                guard(connection, post)
            connection.execute(
                update(posts_table)
                .where(posts_table.c.id == post.id)
                .values(state=target, updated_at=now or _now(), **values)
            )
            states.log_change(post.id, post.state, target, f"{action} by hand")
            why = f"{action} by hand"
            moved = history.change(post.id, post.state, target, now or _now(), reason=why)
            history.record(connection, [moved])
            return _find(connection, post.id)


def _now() -> datetime:
    return datetime.now(UTC)


def _missing(where: str, path: Path | None, default: bool) -> str:
    """Why a ledger that must exist is not there, and what to do."""
    if path is None:
        looked = "the database holds no ledger tables"
    elif path.exists():
        looked = f"the file {path} holds no ledger tables"
    else:
        looked = f"the file {path} does not exist"
    setting = (
        "set CAMPAIGN_DATABASE_URL if your ledger is elsewhere"
        if default
        else "check CAMPAIGN_DATABASE_URL for a typo"
    )
    return (
        f"no ledger at {where}: {looked}; {setting}, or run `campaign schedule FILES` to create it"
    )


def _unusable(where: str, path: Path | None, exc: DBAPIError) -> str:
    """Why the database refused to open or to take a write, and what to do."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if path is not None and any(word in reason for word in ("readonly", "unable to open")):
        return (
            f"cannot use the ledger {path}: {reason}; this user must be able to write the file "
            f"and its folder {path.parent} (SQLite adds -wal and -shm files next to it), or set "
            "CAMPAIGN_DATABASE_URL to a writable ledger"
        )
    if isinstance(exc, OperationalError):
        return f"cannot open the ledger at {where}: {reason}; check CAMPAIGN_DATABASE_URL"
    return (
        f"the ledger at {where} refused a write: {reason}; give this database user write "
        "access, or set CAMPAIGN_DATABASE_URL to a writable ledger"
    )


def _find(connection: Connection, post_id: str, *, lock: bool = False) -> QueuedPost:
    """The post with this id or unique id prefix (locked for update when ``lock``)."""
    wanted = post_id.strip().lower()
    query = select(posts_table).limit(2)
    if len(wanted) >= MIN_PREFIX:
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(posts_table.c.id.like(f"{escaped}%", escape="\\"))
    else:
        query = query.where(posts_table.c.id == wanted)
    if lock:
        query = query.with_for_update()
    rows: builtins.list[Row[Any]] = list(connection.execute(query).all())
    exact = [row for row in rows if row.id == wanted]
    if exact:
        rows = exact
    if not rows:
        raise LedgerError(f"no post with id {post_id}; see `campaign queue` for the ids")
    if len(rows) > 1:
        raise LedgerError(
            f"id {post_id} matches several posts ({rows[0].id}, {rows[1].id}, …); "
            "give more of the id"
        )
    return QueuedPost.from_row(rows[0]._mapping)


def _previous_part_can_go_out(connection: Connection, post: QueuedPost) -> None:
    """Refuse to schedule a thread part again while the part before it will not go out."""
    if post.previous_id is None:
        return
    row = connection.execute(
        select(posts_table.c.state).where(posts_table.c.id == post.previous_id)
    ).first()
    state = row.state if row is not None else "gone from the ledger"
    if state in (states.SENT, states.SENDING, states.SCHEDULED):
        return
    prev = post.previous_id
    if state == states.UNKNOWN:
        fix = f"settle it first with `campaign resolve {prev} --posted REMOTE_ID` or `--not-posted`"
    elif row is None:
        fix = "schedule the campaign again first"
    else:
        fix = f"retry that part first (`campaign retry {prev}`)"
    raise LedgerError(
        f"cannot schedule post {post.id} again: it is part {post.thread} of {post.thread_size} "
        f"of a thread and the part before it, {prev}, is {state}, so this part could never go "
        "out; "
        f"{fix}, or cancel this one (`campaign cancel {post.id}`)"
    )


def _check(post: QueuedPost, action: str, allowed: frozenset[str]) -> None:
    """Refuse ``action`` on ``post`` with what to do instead, unless its state allows it."""
    if post.state in allowed:
        return
    if action == "resolve":
        reason = (
            f"it is {post.state}; resolve only settles posts whose outcome is unknown "
            "(after an attempt that got no answer)"
        )
    else:
        reason = _REASONS.get(post.state, "it is {state}").format(
            id=post.id, state=post.state, platform=post.platform, remote=post.remote_id or "?"
        )
    raise LedgerError(f"cannot {action} post {post.id}: {reason}")


_REASONS = {
    states.SENT: "it was already sent (remote id {remote}); delete it on {platform} if needed",
    states.SENDING: "it is being published right now; check `campaign queue` in a moment",
    states.UNKNOWN: (
        "it may already be on {platform} (its last attempt got no answer); look there, then "
        "run `campaign resolve {id} --posted REMOTE_ID` or `campaign resolve {id} --not-posted`"
    ),
    states.CANCELLED: "it is already cancelled; `campaign retry {id}` schedules it again",
    states.SCHEDULED: "it is already scheduled",
    states.FAILED: "it failed; `campaign retry {id}` schedules it again",
    states.MISSED: "it was missed; `campaign retry {id}` schedules it again",
}
