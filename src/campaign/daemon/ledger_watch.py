"""Notice that the ledger a daemon works on was deleted or replaced while it ran.

A SQLite file deleted (or moved aside and created anew by ``campaign schedule``) under a
running daemon goes unnoticed by the database: its open connections keep the old file, so
posts scheduled into the new one would never be sent. Each poll compares what the daemon
opened with what is there now: for SQLite, the file's device and inode; for every backend,
the random ``ledger_id`` each ledger stores once at creation (``meta`` table). On a change
the daemon stops with :data:`EXIT_LEDGER_REPLACED`, so that systemd starts it again on the
new ledger.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from campaign.errors import LedgerError
from campaign.store.meta import ledger_id

# EX_TEMPFAIL from sysexits.h: try again later. ``Restart=on-failure`` restarts on it.
EXIT_LEDGER_REPLACED = 75


class LedgerReplaced(LedgerError):
    """The ledger was deleted or replaced while the daemon ran; it stopped to start again."""


@dataclass(frozen=True)
class _Seen:
    file: tuple[int, int] | None  # (st_dev, st_ino) of a SQLite file; None: no such file
    ledger_id: str | None


class LedgerWatch:
    """Remembers which ledger ``engine`` reached at start; :meth:`change` says if it moved."""

    def __init__(self, engine: Engine) -> None:
        """Read the ledger's identity now. Raises ``SQLAlchemyError`` if it cannot be read."""
        self._engine = engine
        self._path = _sqlite_file(engine)
        self.where = engine.url.render_as_string(hide_password=True)
        self._start = _Seen(self._file(), ledger_id(engine))

    def change(self) -> str | None:
        """Why the ledger is not the one opened at start (a message for the log), or ``None``.

        A ledger that cannot be read right now (locked, disk trouble, server down) is not a
        change: those failures are reported where they happen.
        """
        if self._file() != self._start.file:
            return self._message()
        try:
            now = ledger_id(self._engine)
        except SQLAlchemyError:
            return None
        return self._message() if now != self._start.ledger_id else None

    def _message(self) -> str:
        return (
            f"the ledger at {self.where} was deleted or replaced while the daemon ran; "
            "stopping so that it restarts on the new one"
        )

    def _file(self) -> tuple[int, int] | None:
        if self._path is None:
            return None
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return None
        return stat.st_dev, stat.st_ino


def _sqlite_file(engine: Engine) -> Path | None:
    """The file behind a SQLite ``engine``; ``None`` for another backend or a memory database."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return Path(database.removeprefix("file:").split("?", 1)[0]).expanduser()
    return Path(database).expanduser()
