"""Bring a ledger database to the current schema, in place, whenever it is opened.

The revisions live in ``migrations/versions`` (``0001_ledger``, ``0002_links``, …); Alembic
runs them on our own connection, so users need no ``alembic.ini``. Each upgrade is one
transaction; on PostgreSQL an advisory lock keeps two processes from upgrading at once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number shared by every `campaign` process; it names our advisory lock.
_PG_LOCK_KEY = 0x63616D70


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at our revisions, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest schema revision this version of `campaign` knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``; a no-op when already there."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        if _stored_revision(connection) != (head_revision() if revision == "head" else revision):
            command.upgrade(alembic_config(connection), revision)


def _stored_revision(connection: Connection) -> str | None:
    """The revision recorded in the database, read without Alembic's start-up chatter."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
