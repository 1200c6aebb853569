"""Opening the ledger's database: SQLite set up for two processes, PostgreSQL, clear errors."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from campaign.errors import ConfigurationError, LedgerError
from campaign.store import Ledger
from campaign.store.engine import open_engine, parse_url
from campaign.store.schema import AttemptRow
from tests.ledger_helpers import NOW, make_post


def test_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "campaign.db"
    with Ledger.open(f"sqlite:///{path}"):
        assert path.is_file()


def test_sqlite_uses_wal_busy_timeout_foreign_keys_and_full_sync(sqlite_url: str) -> None:
    with Ledger.open(sqlite_url) as ledger, ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # FULL (2): every commit, a claim or an outcome, is on disk before it returns.
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_foreign_keys_are_enforced(ledger_url: str) -> None:
    row = {"post_id": "nosuchpost", "worker": "w", "started_at": NOW}
    with Ledger.open(ledger_url) as ledger, ledger.engine.begin() as connection:
        with pytest.raises(IntegrityError):
            connection.execute(insert(AttemptRow.__table__), row)
        connection.rollback()


def test_second_writer_waits_for_the_first_instead_of_failing(sqlite_url: str) -> None:
    post = make_post()
    with Ledger.open(sqlite_url) as first, Ledger.open(sqlite_url) as second:
        holder = first.engine.connect()
        holder.begin()
        holder.execute(text("UPDATE posts SET attempts = 1"))  # holds the write lock
        results: list[object] = []
        worker = threading.Thread(target=lambda: results.append(second.sync([post], now=NOW)))
        worker.start()
        worker.join(timeout=0.3)
        assert worker.is_alive(), "the second writer should be waiting for the lock"
        holder.commit()
        holder.close()
        worker.join(timeout=10)
        assert not worker.is_alive()
        assert [r.added for r in results] == [(post.id,)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://user@localhost/campaign", "supports SQLite and PostgreSQL, not 'mysql'"),
        ("not a database url", "is not a database URL; use e.g. sqlite:///"),
    ],
)
def test_unusable_url_is_a_configuration_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Ledger.open(url)


def test_plain_postgresql_url_means_psycopg() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_missing_psycopg_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what Python does when it is absent
    with pytest.raises(ConfigurationError, match=r"pip install 'campaign\[postgres\]'"):
        open_engine("postgresql+psycopg://postgres@127.0.0.1/test")


def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    url = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test?connect_timeout=2"
    with pytest.raises(LedgerError, match="cannot open the ledger at") as caught:
        Ledger.open(url)
    assert "s3cret" not in str(caught.value)
    assert "CAMPAIGN_DATABASE_URL" in str(caught.value)


def test_url_comes_from_the_environment(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    with Ledger.open() as ledger:
        assert str(ledger.engine.url) == sqlite_url


def test_default_url_is_sqlite_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAMPAIGN_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env file here
    with Ledger.open():
        assert (tmp_path / "campaign" / "campaign.db").is_file()
