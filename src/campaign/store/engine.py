"""Open the ledger's database engine from a URL: SQLite (default) or PostgreSQL.

SQLite gets write-ahead logging, a busy timeout and foreign keys, and every transaction
starts with ``BEGIN IMMEDIATE`` so that two processes (``campaign schedule`` and the
daemon) queue for the write lock instead of failing half-way with "database is locked".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from campaign.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
EXAMPLE_URLS = "sqlite:////path/to/campaign.db or postgresql+psycopg://user@host/dbname"


def parse_url(url: str) -> URL:
    """Parse and normalise a ledger URL (plain ``postgresql://`` means the psycopg 3 driver).

    Raises :class:`~campaign.errors.ConfigurationError` for anything but SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"CAMPAIGN_DATABASE_URL {url!r} is not a database URL; use e.g. {EXAMPLE_URLS}"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"the ledger supports SQLite and PostgreSQL, not {backend!r}; use e.g. {EXAMPLE_URLS}"
        )
    return parsed


def open_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine for ``url``; a SQLite file's folder is created if needed.

    Raises :class:`~campaign.errors.ConfigurationError` for an unusable URL, or when the
    URL is PostgreSQL and its driver is not installed.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ImportError:
        raise ConfigurationError(
            f"the ledger URL needs the PostgreSQL driver {parsed.get_driver_name()!r}, which "
            "is not installed; run: pip install 'campaign[postgres]' and use a "
            "postgresql+psycopg:// URL"
        ) from None


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module so that _begin below decides it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite (some statements differ per backend)."""
    return engine.dialect.name == "sqlite"
