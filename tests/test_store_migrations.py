"""The ledger's schema is versioned: a new database is created at head, an old one upgraded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, text

from campaign.clicks.report import click_report
from campaign.errors import LedgerError
from campaign.store import Ledger, migrate
from campaign.store.engine import open_engine
from campaign.store.history import history
from campaign.store.schema import Base
from campaign.store.shortlinks import ShortLink, store_short_links
from campaign.store.states import CANCELLED, SCHEDULED
from campaign.store.sync import _new_row, plan_digest, posts_table
from tests.ledger_helpers import NOW, make_post, old_rows

TABLES = {
    "posts",
    "media",
    "attempts",
    "heartbeats",
    "short_links",
    "clicks",
    "meta",
    "post_events",
    "instances",
    "link_cards",
    "post_metrics",
    "alembic_version",
}
HEAD = "0011_platform_due_index"


def test_new_database_is_created_at_head(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as ledger:
        assert migrate.current_revision(ledger.engine) == migrate.head_revision() == HEAD
        assert set(inspect(ledger.engine).get_table_names()) == TABLES


def test_migrations_match_the_schema_module(ledger_url: str) -> None:
    """Whoever changes schema.py must add a migration; this fails until they do."""
    with Ledger.open(ledger_url) as ledger, ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_old_database_is_upgraded_in_place_and_keeps_its_posts(ledger_url: str) -> None:
    engine = open_engine(ledger_url)
    migrate.upgrade(engine, "0001_ledger")
    assert migrate.current_revision(engine) == "0001_ledger"
    assert "short_links" not in inspect(engine).get_table_names()
    post = make_post()
    row = _new_row(post, plan_digest(post), SCHEDULED, NOW, timedelta(minutes=15))
    rows = old_rows(engine, [row])  # as that version wrote it
    with engine.begin() as connection:
        connection.execute(insert(posts_table), rows)
    engine.dispose()
    with Ledger.open(ledger_url) as ledger:
        assert migrate.current_revision(ledger.engine) == HEAD
        assert set(inspect(ledger.engine).get_table_names()) == TABLES
        assert ledger.get(post.id).text == post.text
        [began] = history(ledger.engine, post.id)
        assert (began.old, began.new, began.reason) == (
            None,
            SCHEDULED,
            "state when the history began",
        )


def test_clicks_stored_before_they_were_grouped_count_one_each(ledger_url: str) -> None:
    engine = open_engine(ledger_url)
    migrate.upgrade(engine, "0009_metrics")
    store_short_links(
        engine, [ShortLink("Abc123_-Abc123_-", "https://x.org/", "p", "twitter", "c", "a")]
    )
    with engine.begin() as connection:
        for second in (1, 1, 2):  # as that version wrote them: a row a click, no hits
            connection.execute(
                text(
                    "INSERT INTO clicks (code, at, referrer_host, agent_class, is_bot) "
                    "VALUES ('Abc123_-Abc123_-', :at, NULL, 'desktop', false)"
                ),
                {"at": datetime(2017, 9, 26, 10, 0, second, tzinfo=UTC)},
            )
    engine.dispose()
    with Ledger.open(ledger_url) as ledger:
        assert migrate.current_revision(ledger.engine) == HEAD
        with ledger.engine.connect() as connection:
            assert connection.execute(text("SELECT hits FROM clicks")).scalars().all() == [1] * 3
        [post] = click_report(ledger.engine).posts
        assert (post.post_id, post.tally.humans, post.tally.bots) == ("p", 3, 0)


def test_every_change_of_a_post_is_in_its_history(ledger_url: str) -> None:
    post = make_post()
    with Ledger.open(ledger_url) as ledger:
        ledger.sync([post], now=NOW)
        ledger.cancel(post.id, now=NOW + timedelta(minutes=1))
        ledger.retry(post.id, now=NOW + timedelta(minutes=2))
        changes = [(c.old, c.new, c.reason) for c in history(ledger.engine, post.id)]
    assert changes == [
        (None, SCHEDULED, "planned"),
        (SCHEDULED, CANCELLED, "cancelled by hand"),
        (CANCELLED, SCHEDULED, "retry by hand"),
    ]


def test_opening_again_changes_nothing(ledger_url: str) -> None:
    post = make_post()
    with Ledger.open(ledger_url) as ledger:
        ledger.sync([post], now=NOW)
    with Ledger.open(ledger_url) as ledger:
        assert migrate.current_revision(ledger.engine) == HEAD
        assert [p.id for p in ledger.list()] == [post.id]


def test_database_from_a_newer_campaign_is_refused(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as ledger, ledger.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    with pytest.raises(LedgerError, match="newer schema than this `campaign` knows"):
        Ledger.open(ledger_url)
