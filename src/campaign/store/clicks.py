"""Bulk inserts of ``clicks`` rows, as cheap as possible for the process that serves redirects.

The redirector records tens of thousands of clicks a second under load, and its click
writer shares the interpreter lock with the event loop answering them: every microsecond
of Python spent per click is taken from the redirects. SQLAlchemy's ORM-level insert spent
more on each row (a parameter dict, its processing) than the database spent storing it.

On SQLite (3.38 and later have the JSON functions built in), :class:`ClickInserter` sends a
whole batch as one JSON array, read by ``json_each`` in one statement that also formats the
time as SQLAlchemy stores it: Python only serialises the batch (in C), and the database
does the rest without the interpreter lock, where ``executemany`` would take and release it
twice a row. Elsewhere (PostgreSQL) it is one driver-level ``executemany`` of plain tuples.
Either runs inside the caller's transaction, so the ledger's connection events (``BEGIN
IMMEDIATE`` on SQLite) still apply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Dialect

from campaign.store.schema import ClickRow

COLUMNS = ("code", "at", "referrer_host", "agent_class", "is_bot")
# A click as stored: code, POSIX time in nanoseconds (time.time_ns()), referrer host,
# agent class, bot flag.
ClickValues = tuple[str, int, str | None, str, bool]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INTO = f"INSERT INTO {ClickRow.__tablename__} ({', '.join(COLUMNS)})"
# The time as SQLAlchemy's DateTime stores it on SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff', UTC.
SQLITE_JSON = f"""{INTO}
SELECT json_extract(value, '$[0]'),
       strftime('%Y-%m-%d %H:%M:%S', json_extract(value, '$[1]') / 1000000000, 'unixepoch')
       || printf('.%06d', json_extract(value, '$[1]') / 1000 % 1000000),
       json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]')
FROM json_each(?)"""  # noqa: S608 (built from constants only)
# Positional placeholders of the other drivers the ledger supports (psycopg 3).
MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def at_datetime(at: int) -> datetime:
    """The aware UTC datetime of ``at`` (nanoseconds), to the microsecond as stored."""
    return EPOCH + timedelta(microseconds=at // 1000)


def _same(value: datetime) -> Any:
    return value


class ClickInserter:
    """Inserts :data:`ClickValues` into the ``clicks`` table of a ``dialect``'s ledger.

    Raises ``ValueError`` for a driver whose parameter style it does not know.
    """

    def __init__(self, dialect: Dialect) -> None:
        version = getattr(dialect.dbapi, "sqlite_version_info", (0,))
        self.json = dialect.name == "sqlite" and version >= (3, 38)
        if self.json:
            self.sql = SQLITE_JSON
            return
        marker = MARKERS.get(dialect.paramstyle)
        if marker is None:
            raise ValueError(f"no bulk click insert for the {dialect.paramstyle!r} parameter style")
        self.sql = f"{INTO} VALUES ({', '.join([marker] * len(COLUMNS))})"
        kind = ClickRow.__table__.c.at.type.dialect_impl(dialect)
        self._at = kind.bind_processor(dialect) or _same

    def insert(self, connection: Connection, rows: Sequence[ClickValues]) -> None:
        """Insert ``rows`` on ``connection`` in its current transaction.

        ``at`` is sent as the ORM would send it (through the column type's bind processor),
        ``is_bot`` as a bool, which both drivers store as the ORM would (SQLite's 1/0,
        PostgreSQL's boolean). Raises ``SQLAlchemyError`` when the database refuses them.
        """
        if not rows:
            return
        if self.json:
            connection.exec_driver_sql(self.sql, (json.dumps(rows),))
            return
        at = self._at
        values: list[tuple[Any, ...]] = [
            (code, at(at_datetime(when)), host, kind, is_bot)
            for code, when, host, kind, is_bot in rows
        ]
        connection.exec_driver_sql(self.sql, values)
