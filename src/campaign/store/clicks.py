"""Bulk inserts of ``clicks`` rows, as cheap as possible for the process that serves redirects.

The redirector records tens of thousands of clicks a second under load. A batch is stored as
one row per short link and second, per referrer host, agent class and bot flag, with the
number of clicks in ``hits`` (:func:`grouped`): a burst on one link is then a row a second
rather than a row a click, which is what storing clicks cost most (each row an insert into
the table and its two indexes, about three quarters of the click writer's time per click).
Reports only ever count clicks per day, so nothing they show is lost; a click's time is kept
to the second.

On SQLite (3.38 and later have the JSON functions built in), :class:`ClickInserter` sends the
rows as one JSON array, read by ``json_each`` in one statement that also formats the time as
SQLAlchemy stores it. Elsewhere (PostgreSQL) it is one driver-level ``executemany`` of plain
tuples. Either runs inside the caller's transaction, so the ledger's connection events
(``BEGIN IMMEDIATE`` on SQLite) still apply.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Dialect

from campaign.store.schema import ClickRow

COLUMNS = ("code", "at", "referrer_host", "agent_class", "is_bot", "hits")
# A click classified: code, POSIX time in nanoseconds (time.time_ns()), referrer host,
# agent class, bot flag.
ClickValues = tuple[str, int, str | None, str, bool]
# A row as stored: code, the second (POSIX), referrer host, agent class, bot flag, clicks.
ClickGroup = tuple[str, int, str | None, str, bool, int]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INTO = f"INSERT INTO {ClickRow.__tablename__} ({', '.join(COLUMNS)})"
# The time as SQLAlchemy's DateTime stores it on SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff', UTC.
SQLITE_JSON = f"""{INTO}
SELECT json_extract(value, '$[0]'),
       strftime('%Y-%m-%d %H:%M:%S', json_extract(value, '$[1]'), 'unixepoch') || '.000000',
       json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),
       json_extract(value, '$[5]')
FROM json_each(?)"""  # noqa: S608 (built from constants only)
# Positional placeholders of the other drivers the ledger supports (psycopg 3).
MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def grouped(rows: Sequence[ClickValues]) -> list[ClickGroup]:
    """``rows`` as stored: one per code, second (POSIX, rounded down), referrer host, agent
    class and bot flag, with its number of clicks; in the order each first appears."""
    groups = Counter(
        (code, at // 1_000_000_000, host, kind, is_bot) for code, at, host, kind, is_bot in rows
    )
    return [
        (code, second, host, kind, is_bot, hits)
        for (code, second, host, kind, is_bot), hits in groups.items()
    ]


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
        """Store the clicks ``rows`` on ``connection`` in its current transaction, as
        :func:`grouped` counts them.

        ``at`` is sent as the ORM would send it (through the column type's bind processor),
        ``is_bot`` as a bool, which both drivers store as the ORM would (SQLite's 1/0,
        PostgreSQL's boolean). Raises ``SQLAlchemyError`` when the database refuses them.
        """
        if not rows:
            return
        groups = grouped(rows)
        if self.json:
            connection.exec_driver_sql(self.sql, (json.dumps(groups),))
            return
        at = self._at
        values: list[tuple[Any, ...]] = [
            (code, at(EPOCH + timedelta(seconds=second)), host, kind, is_bot, hits)
            for code, second, host, kind, is_bot, hits in groups
        ]
        connection.exec_driver_sql(self.sql, values)
