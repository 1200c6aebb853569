"""Bulk click inserts store one row per link and second, as an ORM insert of those rows would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from sqlite3 import dbapi2

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text

from campaign.store.clicks import ClickInserter, ClickValues, grouped
from campaign.store.schema import ClickRow
from tests.linkhelpers import ledger_on, seed, short_link

CODE = "Abc123_-Abc123_-"
OTHER = "Xyz789_-Xyz789_-"
SECOND = 1489046707  # 2017-03-09 08:05:07 UTC
NS = 1_000_000_000
ROWS: list[ClickValues] = [
    (CODE, SECOND * NS, None, "desktop", False),  # a whole second
    (CODE, SECOND * NS + 321_999, None, "desktop", False),  # the same second: one row, 3 hits
    (OTHER, SECOND * NS + 5, None, "desktop", False),  # another link
    (CODE, SECOND * NS + 999_999_999, None, "desktop", False),  # the second's last instant
    (CODE, SECOND * NS + 7, "t.co", "desktop", False),  # another referrer
    (CODE, SECOND * NS + 8, None, "bot", True),  # another kind of agent
    (CODE, (SECOND + 1) * NS, None, "desktop", False),  # the next second
    (CODE, 1767225599_999999000, None, "mobile", False),  # the last microsecond of a year
]
STORED = [  # what the rows above become, in the order each group first appears
    (CODE, SECOND, None, "desktop", False, 3),
    (OTHER, SECOND, None, "desktop", False, 1),
    (CODE, SECOND, "t.co", "desktop", False, 1),
    (CODE, SECOND, None, "bot", True, 1),
    (CODE, SECOND + 1, None, "desktop", False, 1),
    (CODE, 1767225599, None, "mobile", False, 1),
]
PATHS = [
    "sqlite-json",
    "sqlite-executemany",  # SQLite before 3.38: no JSON functions built in
    pytest.param("postgres", marks=pytest.mark.postgres),
]


def test_clicks_are_grouped_by_link_second_referrer_and_agent() -> None:
    assert grouped(ROWS) == STORED
    assert grouped([]) == []


@given(
    st.lists(
        st.tuples(
            st.sampled_from([CODE, OTHER]),
            st.integers(min_value=SECOND * NS, max_value=(SECOND + 3) * NS),
            st.sampled_from([None, "t.co", "example.org"]),
            st.sampled_from(["desktop", "mobile", "bot"]),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_grouping_keeps_every_click_and_merges_what_is_alike(rows: list[ClickValues]) -> None:
    groups = grouped(rows)
    assert sum(hits for *_, hits in groups) == len(rows)
    keys = [group[:5] for group in groups]
    assert len(set(keys)) == len(keys)
    assert set(keys) == {(c, at // NS, h, k, b) for c, at, h, k, b in rows}


@pytest.mark.parametrize("path", PATHS)
def test_bulk_inserted_clicks_read_back_as_orm_inserted_rows(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "sqlite-executemany":
        monkeypatch.setattr(dbapi2, "sqlite_version_info", (3, 37, 2))
    with ledger_on(path.split("-")[0], tmp_path) as ledger:
        seed(ledger.engine, [short_link(CODE), short_link(OTHER)])
        inserter = ClickInserter(ledger.engine.dialect)
        assert inserter.json == (path == "sqlite-json")
        with ledger.engine.begin() as connection:
            inserter.insert(connection, ROWS)
            inserter.insert(connection, [])
            connection.execute(
                insert(ClickRow),
                [
                    {
                        "code": code,
                        "at": datetime.fromtimestamp(second, UTC),
                        "referrer_host": host,
                        "agent_class": kind,
                        "is_bot": is_bot,
                        "hits": hits,
                    }
                    for code, second, host, kind, is_bot, hits in STORED
                ],
            )
        with ledger.engine.connect() as connection:
            stored = connection.execute(
                text(
                    "SELECT code, at, referrer_host, agent_class, is_bot, hits "
                    "FROM clicks ORDER BY id"
                )
            ).all()
            times = connection.scalars(select(ClickRow.at).order_by(ClickRow.id)).all()
            total = connection.scalar(select(func.sum(ClickRow.hits)))
    assert stored[: len(STORED)] == stored[len(STORED) :]  # as stored, byte for byte on SQLite
    assert times[: len(STORED)] == [datetime.fromtimestamp(s[1], UTC) for s in STORED]
    assert total == 2 * len(ROWS)


def test_an_unknown_parameter_style_is_refused() -> None:
    from sqlalchemy.dialects import mssql

    with pytest.raises(ValueError, match="no bulk click insert for the 'named'"):
        ClickInserter(mssql.dialect(paramstyle="named"))
