"""Bulk click inserts store exactly what an ORM insert stores, on every backend and path."""

from __future__ import annotations

from pathlib import Path
from sqlite3 import dbapi2

import pytest
from sqlalchemy import insert, select, text

from campaign.store.clicks import ClickInserter, ClickValues, at_datetime
from campaign.store.schema import ClickRow
from tests.linkhelpers import ledger_on, seed, short_link

CODE = "Abc123_-Abc123_-"
INSTANTS = [
    1489046707_000000000,  # a whole second: SQLite's text still has six zeros
    1489046707_000321999,  # below the microsecond: dropped, never rounded up
    1489046707_999999999,  # the last microsecond of a second
    1767225599_999999000,  # the last microsecond of a year
]
PATHS = [
    "sqlite-json",
    "sqlite-executemany",  # SQLite before 3.38: no JSON functions built in
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.mark.parametrize("path", PATHS)
def test_bulk_inserted_clicks_read_back_as_orm_inserted_ones(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "sqlite-executemany":
        monkeypatch.setattr(dbapi2, "sqlite_version_info", (3, 37, 2))
    with ledger_on(path.split("-")[0], tmp_path) as ledger:
        seed(ledger.engine, [short_link(CODE)])
        inserter = ClickInserter(ledger.engine.dialect)
        assert inserter.json == (path == "sqlite-json")
        rows: list[ClickValues] = [
            (CODE, at, "t.co" if n % 2 else None, ("mobile", "bot")[n % 2], bool(n % 2))
            for n, at in enumerate(INSTANTS)
        ]
        with ledger.engine.begin() as connection:
            inserter.insert(connection, rows)
            inserter.insert(connection, [])
            connection.execute(
                insert(ClickRow),
                [
                    {
                        "code": code,
                        "at": at_datetime(at),
                        "referrer_host": host,
                        "agent_class": kind,
                        "is_bot": is_bot,
                    }
                    for code, at, host, kind, is_bot in rows
                ],
            )
        with ledger.engine.connect() as connection:
            stored = connection.execute(
                text("SELECT code, at, referrer_host, agent_class, is_bot FROM clicks ORDER BY id")
            ).all()
            times = connection.scalars(select(ClickRow.at).order_by(ClickRow.id)).all()
    assert stored[: len(rows)] == stored[len(rows) :]  # as stored, byte for byte on SQLite
    assert times[: len(rows)] == [at_datetime(at) for at in INSTANTS]
    assert [t.microsecond for t in times[:3]] == [0, 321, 999999]


def test_an_unknown_parameter_style_is_refused() -> None:
    from sqlalchemy.dialects import mssql

    with pytest.raises(ValueError, match="no bulk click insert for the 'named'"):
        ClickInserter(mssql.dialect(paramstyle="named"))
