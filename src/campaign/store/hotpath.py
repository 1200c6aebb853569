"""The statements a publishing daemon runs for every post, as plain DB-API SQL.

SQLAlchemy's execution layer (compiling, caching, processing each parameter and row) cost
more than the database itself on the daemon's hot path, so the few statements run per post
(read a post, claim it, record its outcome) are written here once per dialect and executed
on the driver's own connection: ``sqlite3`` and psycopg, both of which prepare a statement
they see again. Each thread of a daemon keeps one connection for these, in autocommit mode:
on PostgreSQL the pool's check that a connection is alive costs a round trip per checkout,
and so would the driver's own ``BEGIN`` (a claim, or an outcome alone, is one statement
there, one round trip); on SQLite a connection taken from the pool is, more often than not,
one another thread wrote through last, whose page cache SQLite throws away on seeing the
ledger changed (0.05-0.1 ms a post in a daemon). Kept connections are closed when the engine
is disposed (the ledger closed) or after an error.

The SQL must agree with how SQLAlchemy stores values in the ledger (see
:mod:`campaign.store.schema`): on SQLite a time is the text ``YYYY-MM-DD HH:MM:SS.ffffff`` in
UTC and JSON columns are text; on PostgreSQL times are ``timestamptz`` and JSON is parsed by
the driver. ``tests/test_store_hotpath.py`` checks both dialects against the Core reads.

Guarantees kept: a claim is one transaction (``UPDATE … WHERE state = 'scheduled' …
RETURNING``, its attempt and history rows, its images' bytes), committed before the caller
publishes; an outcome is one transaction guarded by the worker holding the claim; and an
outcome may carry the claim of the post to send next in the same transaction, so the account's
next post costs no commit of its own. That post is named by its id, or is the platform's
earliest due first post (:class:`NextDue`), found by the claim itself. On PostgreSQL the claim
skips a row another daemon is claiming at that moment (``FOR UPDATE SKIP LOCKED``) rather
than queueing behind it, so daemons publishing for one platform take different posts.
"""

# ruff: noqa: S608 - the SQL is built from constants only; every value is a bound parameter

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from campaign.platforms.images import Image
from campaign.store.media import matched_images
from campaign.store.queued import QueuedPost, StoredImage
from campaign.store.schema import LEDGER_ID
from campaign.store.states import FAILED, SCHEDULED, SENDING, SENT, UNKNOWN

# SQLite lets one writer in at a time and makes the others sleep and retry (1 ms, then
# longer); every transaction of ours begins IMMEDIATE, so the threads of this process queue
# here instead and each goes in the moment it is free.
SQLITE_TURN = threading.Lock()

# The columns of a QueuedPost, in its field order (but its ``tries``, which only
# ``Ledger.list`` counts), then its ``language``.
_COLUMNS = (
    "id, campaign, event, announcement, platform, state, scheduled_at, not_before, timezone, "
    "text, media, links, thread, thread_size, previous_id, root_id, attempts, remote_id, "
    "remote_url, last_error, updated_at, sent_at, source, language"
)
_DUE = (
    f"state = '{SCHEDULED}' AND scheduled_at <= :now AND (not_before IS NULL OR not_before <= :now)"
)
# A claim is taken only in the ledger the worker opened (:ledger, its id; NULL: whichever
# ledger holds an id, as every ledger at this schema does), so a
# ledger dropped and created again (a restore) is never published from by the old daemon.
_CLAIMABLE = (
    f"{_DUE} AND EXISTS (SELECT 1 FROM meta WHERE key = '{LEDGER_ID}' "
    "AND value = COALESCE(:ledger, value))"
)
# The earliest due first post (not a later thread part) of :platform, unless due before
# :oldest (beyond the grace window: its own job marks it missed). Ties in time in any order.
_NEXT_DUE = (
    f"SELECT id FROM posts WHERE {_CLAIMABLE} AND platform = :platform AND previous_id IS NULL AND "
    "(scheduled_at >= :oldest OR not_before >= :oldest) ORDER BY scheduled_at LIMIT 1"
)
_GET = f"SELECT {_COLUMNS} FROM posts WHERE id = :post_id"
_UPCOMING = (
    "SELECT id, scheduled_at, not_before, platform, previous_id FROM posts "
    f"WHERE {_DUE} ORDER BY scheduled_at, id LIMIT :limit"
)
_CLAIMING = (
    f"UPDATE posts SET state = '{SENDING}', claimed_by = :worker, claimed_at = :now, "
    "updated_at = :now WHERE id = "
)
_CLAIM = f"{_CLAIMING}:post_id AND {_CLAIMABLE} RETURNING {_COLUMNS}"
_CLAIM_NEXT = f"{_CLAIMING}({_NEXT_DUE}) AND {_DUE} RETURNING {_COLUMNS}"
_OPEN_ATTEMPT = (
    "INSERT INTO attempts (post_id, worker, started_at) VALUES (:post_id, :worker, :now)"
)
_CLAIMED_EVENT = (
    "INSERT INTO post_events (post_id, at, old_state, new_state, worker, reason, error) "
    f"VALUES (:post_id, :now, '{SCHEDULED}', '{SENDING}', :worker, 'claimed', NULL)"
)
_POSTS_COLUMNS = ", ".join(f"posts.{name}" for name in _COLUMNS.split(", "))


def _pg_claiming(which: str, guard: str = "") -> str:
    """PostgreSQL: the claim of the post ``which`` selects (if ``guard`` holds), its attempt
    and its history row, as CTEs ending in ``claimed`` (the row as the claim left it).

    ``free`` locks the row, and PostgreSQL checks ``which``'s conditions (``scheduled``, due)
    again on the row as locked, so the update needs no condition but the id: on a ledger
    whose statistics predate a large ``schedule``, any other lets the planner walk every
    scheduled post's index entry to find the one (2.8 ms for 2,000, in each claim)."""
    return (
        f"free AS ({which}{guard} FOR UPDATE SKIP LOCKED), "
        f"claimed AS (UPDATE posts SET state = '{SENDING}', claimed_by = :worker, "
        "claimed_at = :now, updated_at = :now WHERE posts.id = (SELECT id FROM free) "
        f"RETURNING {_POSTS_COLUMNS}), "
        "attempt AS (INSERT INTO attempts (post_id, worker, started_at) "
        "SELECT id, :worker, :now FROM claimed), "
        "claim_history AS (INSERT INTO post_events (post_id, at, old_state, new_state, worker, "
        f"reason, error) SELECT id, :now, '{SCHEDULED}', '{SENDING}', :worker, 'claimed', NULL "
        "FROM claimed)"
    )


def _pg_by_id(name: str) -> str:
    return f"SELECT id FROM posts WHERE id = :{name} AND {_CLAIMABLE}"


# The next due post, as a subquery of the claim (PostgreSQL's LIMIT comes after its guard).
_PG_NEXT_DUE = _NEXT_DUE.replace(" ORDER BY", "{guard} ORDER BY")
# PostgreSQL: the claim with its rows in one statement (one round trip, no BEGIN needed).
_PG_CLAIM = f"WITH {_pg_claiming(_pg_by_id('post_id'))} SELECT * FROM claimed"
_PG_CLAIM_NEXT = f"WITH {_pg_claiming(_PG_NEXT_DUE.format(guard=''))} SELECT * FROM claimed"

# What each outcome sets on the post (besides releasing the claim).
OUTCOME_SETS = {
    SENT: (
        f"state = '{SENT}', remote_id = :remote_id, remote_url = :remote_url, sent_at = :now, "
        "last_error = NULL"
    ),
    SCHEDULED: (
        f"state = '{SCHEDULED}', not_before = :not_before, last_error = :error, "
        "attempts = attempts + :counts"
    ),
    FAILED: f"state = '{FAILED}', last_error = :error, attempts = attempts + 1",
    UNKNOWN: f"state = '{UNKNOWN}', last_error = :error",
}
_HELD = f"id = :post_id AND state = '{SENDING}' AND claimed_by = :worker"


def _finish(state: str) -> str:
    return (
        f"UPDATE posts SET {OUTCOME_SETS[state]}, claimed_by = NULL, claimed_at = NULL, "
        f"updated_at = :now WHERE {_HELD}"
    )


_CLOSE_ATTEMPT = (
    "UPDATE attempts SET finished_at = :now, outcome = :outcome, error = :error "
    "WHERE post_id = :post_id AND finished_at IS NULL"
)
_FINISHED_EVENT = (
    "INSERT INTO post_events (post_id, at, old_state, new_state, worker, reason, error) "
    f"VALUES (:post_id, :now, '{SENDING}', :state, :worker, :outcome, :error)"
)


def _pg_finishing(state: str) -> str:
    """PostgreSQL: the outcome, closing the attempt and the history row, as CTEs ending in
    ``done`` (the post's id if this worker held it)."""
    return (
        f"done AS (UPDATE posts SET {OUTCOME_SETS[state]}, claimed_by = NULL, "
        f"claimed_at = NULL, updated_at = :now WHERE {_HELD} RETURNING id), "
        "closed AS (UPDATE attempts SET finished_at = :now, outcome = :outcome, error = :error "
        "WHERE post_id IN (SELECT id FROM done) AND finished_at IS NULL), "
        "history AS (INSERT INTO post_events (post_id, at, old_state, new_state, worker, "
        f"reason, error) SELECT id, :now, '{SENDING}', :state, :worker, :outcome, :error "
        "FROM done)"
    )


def _pg_finish(state: str) -> str:
    """PostgreSQL: the outcome in one statement; one row: 1 if recorded, else 0."""
    return f"WITH {_pg_finishing(state)} SELECT count(*) FROM done"


def _pg_finish_then_claim(state: str, next_due: bool) -> str:
    """PostgreSQL: the outcome and, if it was recorded, the claim of ``:next_id`` (or with
    ``next_due``, of the platform's next due post), in one statement; one row: 1 if recorded
    (else 0), then the claimed post's columns (NULL if none was claimed)."""
    recorded = " AND EXISTS (SELECT 1 FROM done)"
    if next_due:
        claiming = _pg_claiming(_PG_NEXT_DUE.format(guard=recorded))
    else:
        claiming = _pg_claiming(_pg_by_id("next_id"), recorded)
    return (
        f"WITH {_pg_finishing(state)}, {claiming} "
        "SELECT (SELECT count(*) FROM done), claimed.* FROM (SELECT 1) AS one "
        "LEFT JOIN claimed ON true"
    )


def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s`` (the SQL above has no ``%`` or ``::``)."""
    return re.sub(r":(\w+)", r"%(\1)s", sql)


@dataclass(frozen=True)
class _Dialect:
    """The SQL texts of one dialect and how its values are converted."""

    name: str
    begin: str  # what starts a transaction
    get: str
    upcoming: str
    claim: tuple[str, ...]  # the first returns the claimed row, or none
    claim_next: tuple[str, ...]  # the same for the platform's next due post
    finish: Mapping[str, tuple[str, ...]]  # the first's rowcount (or count) says if held
    # PostgreSQL: an outcome and the next claim as one statement (see _pg_finish_then_claim),
    # by state and whether the next post is the next due one
    finish_then_claim: Mapping[tuple[str, bool], str]

    def images(self, count: int) -> str:
        """Select the bytes of ``count`` images by their SHA-256 (``:s0``, ``:s1``…)."""
        names = ", ".join(self.placeholder(f"s{n}") for n in range(count))
        return f"SELECT sha256, media_type, data FROM media WHERE sha256 IN ({names})"

    def placeholder(self, name: str) -> str:
        return f":{name}" if self.name == "sqlite" else f"%({name})s"


_SQLITE = _Dialect(
    name="sqlite",
    begin="BEGIN IMMEDIATE",
    get=_GET,
    upcoming=_UPCOMING,
    claim=(_CLAIM, _OPEN_ATTEMPT, _CLAIMED_EVENT),
    claim_next=(_CLAIM_NEXT, _OPEN_ATTEMPT, _CLAIMED_EVENT),
    finish={state: (_finish(state), _CLOSE_ATTEMPT, _FINISHED_EVENT) for state in OUTCOME_SETS},
    finish_then_claim={},
)
_POSTGRESQL = _Dialect(
    name="postgresql",
    begin="BEGIN",
    get=_pyformat(_GET),
    upcoming=_pyformat(_UPCOMING),
    claim=(_pyformat(_PG_CLAIM),),
    claim_next=(_pyformat(_PG_CLAIM_NEXT),),
    finish={state: (_pyformat(_pg_finish(state)),) for state in OUTCOME_SETS},
    finish_then_claim={
        (state, next_due): _pyformat(_pg_finish_then_claim(state, next_due))
        for state in OUTCOME_SETS
        for next_due in (False, True)
    },
)


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed post: its new ``state`` (a key of ``OUTCOME_SETS``), the
    ``outcome`` word for its attempt and history, and the values that state sets."""

    state: str
    outcome: str
    remote_id: str | None = None
    remote_url: str | None = None
    not_before: datetime | None = None
    error: str | None = None
    counts: int = 0


class Upcoming(NamedTuple):
    """A scheduled post coming due: when (its retry time, if any, else its plan's), on which
    platform, and whether it is a first post (not a later part of a thread)."""

    due: datetime
    platform: str
    first: bool


@dataclass(frozen=True)
class NextDue:
    """The post to claim next is ``platform``'s earliest due first post (not a later part of
    a thread), unless it was due before ``oldest`` (the grace window's start)."""

    platform: str
    oldest: datetime


# What to claim: a post by its id, or the next due post of a platform.
Claimable = str | NextDue


@dataclass(frozen=True)
class Taken:
    """A claimed post's row, the bytes of its images and the paths of those not stored."""

    post: QueuedPost
    images: tuple[Image, ...]
    missing: tuple[str, ...]


class HotPath:
    """The per-post statements of one worker on one ledger ``engine``.

    Raises :class:`sqlalchemy.exc.DBAPIError` (a ``SQLAlchemyError``, as the Core does) when
    the database refuses a statement; the transaction is then rolled back.
    """

    def __init__(self, engine: Engine, ledger_id: str | None = None) -> None:
        name = engine.dialect.name
        if name not in ("sqlite", "postgresql"):
            raise ValueError(f"the ledger supports SQLite and PostgreSQL, not {name!r}")
        self._sql = _SQLITE if name == "sqlite" else _POSTGRESQL
        self._engine = engine
        self._ledger_id = ledger_id  # claims are taken in this ledger only (None: any)
        self._error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._held: dict[int, PoolProxiedConnection] = {}
        self._lock = threading.Lock()
        event.listen(engine, "engine_disposed", self._release_all)

    def get(self, post_id: str) -> QueuedPost | None:
        """The post with id ``post_id``, or ``None`` (a plain read, no write lock)."""
        with self._cursor(transaction=False) as cursor:
            cursor.execute(self._sql.get, {"post_id": post_id})
            row = cursor.fetchone()
        return self._post(row) if row else None

    def upcoming(self, until: datetime, limit: int | None = None) -> dict[str, Upcoming]:
        """The scheduled posts due by ``until`` by id, earliest ``limit`` first (the poll's
        read of what gets a job: the same window every poll)."""
        params = {"now": self._time(until), "limit": 2**62 if limit is None else limit}
        with self._cursor(transaction=False) as cursor:
            cursor.execute(self._sql.upcoming, params)
            rows = cursor.fetchall()
        times: dict[Any, datetime | None] = {}  # a burst's posts share their time
        found: dict[str, Upcoming] = {}
        for post_id, scheduled_at, not_before, platform, previous_id in rows:
            stored = scheduled_at if not_before is None else max(scheduled_at, not_before)
            due = times.get(stored) or times.setdefault(stored, _utc(stored))
            assert due is not None  # scheduled_at is never NULL
            found[post_id] = Upcoming(due, platform, previous_id is None)
        return found

    def claim(self, which: Claimable, worker: str, now: datetime) -> Taken | None:
        """Move the post ``which`` names from ``scheduled`` to ``sending`` for ``worker`` if it
        is due at ``now`` (one transaction, committed on return); ``None`` if none was claimed."""
        # PostgreSQL's claim is one statement: a transaction of its own.
        with self._cursor(transaction=len(self._sql.claim) > 1) as cursor:
            return self._claim(cursor, which, worker, now)

    def finish(
        self,
        post_id: str,
        worker: str,
        now: datetime,
        outcome: Outcome,
        then_claim: Claimable | None = None,
    ) -> tuple[bool, Taken | None]:
        """Record ``outcome`` for ``post_id`` if ``worker`` still holds it, and, in the same
        transaction, claim ``then_claim`` (when given and the outcome was recorded).

        Returns whether the outcome was recorded, and the post claimed next, if any.
        """
        params = {
            "post_id": post_id,
            "worker": worker,
            "ledger": self._ledger_id,
            "now": self._time(now),
            "state": outcome.state,
            "outcome": outcome.outcome,
            "remote_id": outcome.remote_id,
            "remote_url": outcome.remote_url,
            "not_before": self._time(outcome.not_before),
            "error": outcome.error,
            "counts": outcome.counts,
        }
        params.update(self._which(then_claim, "next_id"))
        next_due = isinstance(then_claim, NextDue)
        one_statement = self._sql.finish_then_claim.get((outcome.state, next_due))
        if then_claim is not None and one_statement is not None:
            with self._cursor(transaction=False) as cursor:
                cursor.execute(one_statement, params)
                held, *row = cursor.fetchone()
                if held != 1:
                    return False, None
                return True, self._taken(cursor, row) if row[0] is not None else None
        first, *rest = self._sql.finish[outcome.state]
        with self._cursor(transaction=bool(rest) or then_claim is not None) as cursor:
            cursor.execute(first, params)
            pg = self._sql.name == "postgresql"
            if (cursor.fetchone()[0] if pg else cursor.rowcount) != 1:
                return False, None
            for sql in rest:
                cursor.execute(sql, params)
            if then_claim is None:
                return True, None
            return True, self._claim(cursor, then_claim, worker, now)

    # --- inside a transaction ------------------------------------------------------------

    def _claim(self, cursor: Any, which: Claimable, worker: str, now: datetime) -> Taken | None:
        params = {
            "worker": worker,
            "ledger": self._ledger_id,
            "now": self._time(now),
            **self._which(which, "post_id"),
        }
        first, *rest = self._sql.claim_next if isinstance(which, NextDue) else self._sql.claim
        cursor.execute(first, params)
        rows = cursor.fetchall()  # SQLite finishes the UPDATE only once its rows are read
        if not rows:
            return None
        params["post_id"] = rows[0][0]
        for sql in rest:
            cursor.execute(sql, params)
        return self._taken(cursor, rows[0])

    def _taken(self, cursor: Any, row: Sequence[Any]) -> Taken:
        """A claimed post from its row, with its images' bytes (read with ``cursor``)."""
        post = self._post(row)
        images: tuple[Image, ...] = ()
        missing: tuple[str, ...] = ()
        if post.media:
            images, missing = self._images(cursor, post.media)
        return Taken(post, images, missing)

    def _images(
        self, cursor: Any, media: Sequence[StoredImage]
    ) -> tuple[tuple[Image, ...], tuple[str, ...]]:
        shas = [m.sha256 for m in media if m.sha256]
        found: dict[str, tuple[str, bytes]] = {}
        if shas:
            cursor.execute(self._sql.images(len(shas)), {f"s{n}": s for n, s in enumerate(shas)})
            found = {sha: (kind, bytes(data)) for sha, kind, data in cursor.fetchall()}
        return matched_images(media, found)

    # --- values --------------------------------------------------------------------------

    def _which(self, which: Claimable | None, name: str) -> dict[str, Any]:
        """The parameters naming the post ``which`` to claim (its id as ``name``)."""
        if isinstance(which, NextDue):
            return {name: None, "platform": which.platform, "oldest": self._time(which.oldest)}
        return {name: which, "platform": None, "oldest": None}

    def _time(self, value: datetime | None) -> Any:
        """A time as SQLAlchemy stores it: UTC text on SQLite, an aware datetime elsewhere."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware UTC datetime")
        utc = value.astimezone(UTC)
        if self._sql.name == "sqlite":
            return utc.replace(tzinfo=None).isoformat(" ", timespec="microseconds")
        return utc

    def _post(self, row: Sequence[Any]) -> QueuedPost:
        """A ``posts`` row selected as ``_COLUMNS`` (in :class:`QueuedPost`'s field order)."""
        *values, language = row
        text_json = self._sql.name == "sqlite"
        for n in (6, 7, 20, 21):  # scheduled_at, not_before, updated_at, sent_at
            values[n] = _utc(values[n])
        media = json.loads(values[10]) if text_json and values[10] else values[10]
        links = json.loads(values[11]) if text_json and values[11] else values[11]
        values[10] = tuple(StoredImage.from_entry(m) for m in media or ())
        values[11] = tuple(links or ())
        return replace(QueuedPost(*values), language=language)

    # --- connections ---------------------------------------------------------------------

    @contextmanager
    def _cursor(self, *, transaction: bool) -> Iterator[Any]:
        """A cursor on a connection in autocommit mode: with ``transaction``, inside one
        transaction committed when the block ends (on SQLite taking the process's turn), else
        each statement commits on its own. On failure the transaction is rolled back and
        the error raised as the Core's."""
        sqlite = self._sql.name == "sqlite"
        with SQLITE_TURN if transaction and sqlite else nullcontext():
            connection = self._connection()
            try:
                with closing(connection.cursor()) as cursor:  # closed before its connection
                    if transaction:
                        cursor.execute(self._sql.begin)
                    yield cursor
                    if transaction:
                        cursor.execute("COMMIT")
            except BaseException as exc:
                self._abandon(connection)
                if isinstance(exc, self._error):
                    raise DBAPIError.instance(None, None, exc, self._error) from exc
                raise

    def _connection(self) -> PoolProxiedConnection:
        """This thread's connection, taken from the pool the first time (in autocommit mode:
        the engine already puts SQLite's connections in it)."""
        key = threading.get_ident()
        connection = self._held.get(key)
        if connection is None:
            try:
                connection = self._engine.raw_connection()
                if self._sql.name == "postgresql":
                    connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            except self._error as exc:
                raise DBAPIError.instance(None, None, exc, self._error) from exc
            with self._lock:
                self._held[key] = connection
        return connection

    def _abandon(self, connection: PoolProxiedConnection) -> None:
        """Let go of this thread's connection after a failure: it is closed (rolling back
        what it had begun), and a new one is taken next."""
        with self._lock:
            self._held.pop(threading.get_ident(), None)
        connection.invalidate()

    def _release_all(self, _engine: Engine) -> None:
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for connection in held:
            connection.invalidate()  # closed: the pool it came from is gone


def _utc(value: Any) -> datetime | None:
    """A time read from the ledger as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    stored: datetime = value
    return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)
