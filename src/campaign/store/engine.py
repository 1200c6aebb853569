"""Open the ledger's database engine from a URL: SQLite (default) or PostgreSQL.

SQLite gets write-ahead logging, a busy timeout and foreign keys, and every transaction
starts with ``BEGIN IMMEDIATE`` so that two processes (``campaign schedule`` and the
daemon) queue for the write lock instead of failing half-way with "database is locked";
but a connection from :func:`reading`, which only reads, takes a snapshot without the write
lock, so a read never holds up a commit (a daemon's claim or outcome) nor waits for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from campaign.errors import ConfigurationError, LedgerError

SQLITE_BUSY_TIMEOUT_MS = 30_000
# The execution option that marks a connection as reading only (see ``reading``).
_READ_ONLY = "campaign_read_only"
# The daemon's hot path keeps a connection per publishing thread (store.hotpath), so the
# pool must not cap connections below CAMPAIGN_WORKERS plus the daemon's own reads: no limit
# on overflow; idle overflow connections are closed when returned.
_UNCAPPED_OVERFLOW = -1
EXAMPLE_URLS = "sqlite:////path/to/campaign.db or postgresql+psycopg://user@host/dbname"


def parse_url(url: str) -> URL:
    """Parse and normalise a ledger URL (plain ``postgresql://`` means the psycopg 3 driver).

    Raises :class:`~campaign.errors.ConfigurationError` for anything but SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        detail = f" ({exc})" if isinstance(exc, ValueError) else ""
        raise ConfigurationError(
            f"CAMPAIGN_DATABASE_URL {_masked(url)!r} is not a database URL{detail}; "
            f"use e.g. {EXAMPLE_URLS}"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"CAMPAIGN_DATABASE_URL: the ledger supports SQLite and PostgreSQL, not {backend!r}; "
            f"use e.g. {EXAMPLE_URLS}"
        )
    if backend == "sqlite":
        _check_sqlite_file(_masked(url), parsed)
    return parsed


def _masked(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages (it may not even parse)."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite ledger URL names (also inside a ``file:`` URI), else ``None``."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):
        database = database.removeprefix("file:").partition("?")[0]
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def _check_sqlite_file(url: str, parsed: URL) -> None:
    """Refuse a SQLite URL that names no file (a ledger in memory is lost at exit) or a folder."""
    path = sqlite_file(parsed)
    if path is None:
        raise ConfigurationError(
            f"CAMPAIGN_DATABASE_URL {url!r} names no file: a ledger in memory is lost when the "
            "command ends; give a file, e.g. sqlite:////path/to/campaign.db"
        )
    if (parsed.database or "").endswith("/") or path.is_dir():
        raise ConfigurationError(
            f"CAMPAIGN_DATABASE_URL {url!r} names the folder {path}, not a file; add the file "
            f"name, e.g. sqlite:///{path / 'campaign.db'}"
        )


def open_engine(url: str, *, create: bool = True) -> Engine:
    """Create the SQLAlchemy engine for ``url``; a SQLite file's folder is created if needed
    (only when ``create``: else a missing folder is left for the caller to report).

    Raises :class:`~campaign.errors.ConfigurationError` for an unusable URL, or when the
    URL is PostgreSQL and its driver is not installed.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, create=create)
    try:
        return create_engine(parsed, pool_pre_ping=True, max_overflow=_UNCAPPED_OVERFLOW)
    except ImportError:
        raise ConfigurationError(
            f"the ledger URL needs the PostgreSQL driver {parsed.get_driver_name()!r}, which "
            "is not installed; run: pip install 'campaign[postgres]' and use a "
            "postgresql+psycopg:// URL"
        ) from None


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    database = url.database or ""
    path = sqlite_file(url)
    if create and path is not None and not database.startswith("file:"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(
                f"cannot create the folder {path.parent} for the ledger {path}: "
                f"{exc.strerror}; create it yourself or set CAMPAIGN_DATABASE_URL to a "
                "writable place"
            ) from None
    # A database in memory gets one connection per thread from SQLAlchemy, never a capped pool.
    in_memory = path is None or url.query.get("mode") == "memory"
    engine = create_engine(url, **({} if in_memory else {"max_overflow": _UNCAPPED_OVERFLOW}))

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module so that _begin below decides it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if create:  # persistent: an existing ledger has it, another file is left as it is
            cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: each commit is synced to disk before it returns, so a claim or an outcome
        # survives a power cut, not only a crashed process (NORMAL, in WAL mode, may lose
        # the last commits then: a claim lost that way could mean a post sent twice).
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only (never write through it): on SQLite its transaction is a
    snapshot that takes no write lock (WAL mode), so it neither waits for a writer nor keeps
    one waiting; on PostgreSQL it is ``engine.connect()``."""
    with engine.connect() as connection:
        connection.execution_options(**{_READ_ONLY: True})
        yield connection


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite (some statements differ per backend)."""
    return engine.dialect.name == "sqlite"
