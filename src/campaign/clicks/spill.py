"""Clicks the ledger would not take, kept in local JSON-lines files until it does.

When a batch of clicks cannot be written (a read-only or full ledger, a database that is
down), the recorder appends them here instead of holding them in memory, and replays them
into the ledger once it takes writes again, or at the next start. Each file holds the rows
as they would be stored (referrer host and agent class, never an address or a full user
agent), one JSON object a line.

The folder is ``CAMPAIGN_CLICKS_SPILL_DIR`` (default ``$XDG_STATE_HOME/campaign/clicks-spill``,
that is ``~/.local/state/campaign/clicks-spill``) with one sub-folder per ledger id, so that
clicks are only ever replayed into the ledger they were counted for. Each server process
writes its own file and holds an ``flock`` on it; a replay takes the same lock, so two
processes never replay one file twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from campaign.settings import Settings
from campaign.store.clicks import ClickInserter, ClickValues
from campaign.store.meta import ledger_id

log = logging.getLogger(__name__)

PATTERN = "clicks-*.jsonl"


class SpillSettings(Settings):
    """``CAMPAIGN_CLICKS_SPILL_DIR``: where clicks wait while the ledger cannot take them."""

    clicks_spill_dir: Path | None = None

    def folder(self) -> Path:
        """The configured folder, or the XDG state folder's ``campaign/clicks-spill``."""
        if self.clicks_spill_dir is not None:
            return self.clicks_spill_dir.expanduser()
        state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
        return Path(state) / "campaign" / "clicks-spill"


def spill_for(engine: Engine, base: Path | None = None) -> Spill:
    """The spill of the ledger behind ``engine``, under ``base`` (default: the settings').

    Raises ``SQLAlchemyError`` when the ledger's id cannot be read.
    """
    folder = base if base is not None else SpillSettings().folder()
    return Spill(folder / (ledger_id(engine) or "no-ledger-id"))


class Spill:
    """The spill files in ``folder``: this process appends to its own, replays every one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / f"clicks-{os.getpid()}.jsonl"
        self._file: IO[bytes] | None = None
        self.waiting = any(folder.glob(PATTERN)) if folder.is_dir() else False

    def write(self, rows: Sequence[ClickValues]) -> None:
        """Append ``rows`` (``clicks`` rows) to this process's file, all of them or none.

        Raises ``OSError`` when they cannot be written (the file is left as it was).
        """
        data = memoryview(b"".join(_line(row) for row in rows))
        file = self._own()
        size = file.seek(0, os.SEEK_END)
        try:
            while data:  # unbuffered: in the kernel once written, so a crash loses nothing
                data = data[os.write(file.fileno(), data) :]
        except OSError:
            file.truncate(size)
            raise
        self.waiting = True

    def replay(self, engine: Engine, batch: int) -> int:
        """Insert every spilled click into the ledger, oldest file first; how many.

        Each file is deleted once its rows are in. Raises ``SQLAlchemyError`` when the
        ledger refuses a batch: what was not inserted stays spilled.
        """
        self.close()  # our own file is replayed like any other, under the same lock
        inserter = ClickInserter(engine.dialect)
        done = sum(
            self._replay(path, engine, inserter, batch)
            for path in sorted(self.folder.glob(PATTERN))
        )
        self.waiting = False
        return done

    def close(self) -> None:
        """Close (and unlock) this process's file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _own(self) -> IO[bytes]:
        """This process's file, open for appending and locked (waits for a replay of it)."""
        while self._file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            file = self.path.open("ab", buffering=0)
            fcntl.flock(file, fcntl.LOCK_EX)
            if _same_file(file, self.path):
                self._file = file
            else:  # replayed and deleted while we waited for the lock
                file.close()
        return self._file

    def _replay(self, path: Path, engine: Engine, inserter: ClickInserter, batch: int) -> int:
        """Replay one file, unless another process holds it; how many clicks went in."""
        try:
            file = path.open("r+b")
        except FileNotFoundError:
            return 0
        with file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # its process is alive and may still write to it, or replays it
            if not _same_file(file, path):
                return 0
            done = 0
            while True:
                start = file.tell()
                lines = [line for line in (file.readline() for _ in range(batch)) if line]
                if not lines:
                    break
                rows = _rows(lines, path)
                try:
                    if rows:
                        with engine.begin() as connection:
                            inserter.insert(connection, rows)
                except Exception:
                    if start:
                        _keep_from(file, start, path)
                    raise
                done += len(rows)
            path.unlink()
        return done


def _line(row: ClickValues) -> bytes:
    """``row`` as one JSON object, its time as a POSIX timestamp."""
    code, at, host, kind, is_bot = row
    fields = {
        "code": code,
        "at": at / 1e9,  # POSIX seconds, as before clicks were kept in nanoseconds
        "referrer_host": host,
        "agent_class": kind,
        "is_bot": is_bot,
    }
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"


def _rows(lines: list[bytes], path: Path) -> list[ClickValues]:
    """The rows of ``lines``; a line cut short (a crash while writing it) is skipped."""
    rows: list[ClickValues] = []
    for line in lines:
        try:
            row = json.loads(line)
            at = round(float(row["at"]) * 1e9)
            rows.append((row["code"], at, row["referrer_host"], row["agent_class"], row["is_bot"]))
        except (ValueError, KeyError, TypeError):
            log.error("skipped an unreadable line in %s: %r", path, line[:200])
    return rows


def _keep_from(file: IO[bytes], start: int, path: Path) -> None:
    """Replace ``path`` with what ``file`` holds from ``start`` on (what is not replayed)."""
    file.seek(start)
    rest = path.with_suffix(".rest")
    with rest.open("wb") as out:
        shutil.copyfileobj(file, out)
    rest.replace(path)


def _same_file(file: IO[bytes], path: Path) -> bool:
    """Whether the open ``file`` is still the one at ``path`` (not deleted or replaced)."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(file.fileno())
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)
