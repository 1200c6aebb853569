"""Short codes stored in the ledger: what `schedule` registers, and how re-planning keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from campaign.cli import app
from campaign.errors import LedgerError
from campaign.render.planner import plan_files
from campaign.render.post import Post
from campaign.store.ledger import Ledger
from campaign.store.schema import ShortLinkRow
from campaign.store.shortlinks import register, short_links_of, store_short_links
from tests.linkhelpers import Redirector, ledger_on, short_link
from tests.planfiles import campaign_data, write_project

SECRET = "a-test-secret-that-is-long-enough"
TEMPLATE = "{{ vars.greeting }} {{ event.title }}: {{ event.url }} and https://other.example/x"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    with ledger_on(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAMPAIGN_LINKS_SECRET", SECRET)


def plan(root: Path, greeting: str = "Join", url: str | None = None) -> list[Post]:
    data = campaign_data(
        platforms=["twitter", "mastodon"],
        links={"shorten": True, "base": "https://go.example.org"},
        vars={"greeting": greeting},
    )
    if url:
        data["event"]["url"] = url
    return plan_files([write_project(root, data, {"hello.j2": TEMPLATE})])


def stored(ledger: Ledger) -> dict[str, tuple[str, str, str, str, str]]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            select(
                ShortLinkRow.code,
                ShortLinkRow.target,
                ShortLinkRow.post_id,
                ShortLinkRow.platform,
                ShortLinkRow.campaign,
                ShortLinkRow.announcement,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def test_register_stores_every_short_link_of_the_plan(ledger: Ledger, tmp_path: Path) -> None:
    posts = plan(tmp_path)
    assert register(ledger.engine, posts) == 2
    rows = stored(ledger)
    for post in posts:
        (link,) = post.extra["tracked_links"]
        assert post.links == (f"https://go.example.org/{link.code}",)
        assert link.short in post.text
        assert "https://other.example/x" in post.text
        assert rows[link.code] == (
            f"https://www.media4sec.eu/events/dark-web-workshop/?utm_source={post.platform}"
            f"&utm_medium=social&utm_campaign=darkweb-2017&utm_content=hello",
            post.id,
            post.platform,
            "darkweb-2017",
            "hello",
        )


def test_replanning_keeps_codes_and_stores_nothing_new(ledger: Ledger, tmp_path: Path) -> None:
    first = plan(tmp_path)
    register(ledger.engine, first)
    again = plan(tmp_path, greeting="Don't miss")
    assert [p.text for p in again] != [p.text for p in first]
    assert [p.links for p in again] == [p.links for p in first]
    assert register(ledger.engine, again) == 0
    assert len(stored(ledger)) == 2


def test_a_changed_link_gets_a_new_code_and_the_old_one_stays(
    ledger: Ledger, tmp_path: Path
) -> None:
    first = plan(tmp_path)
    register(ledger.engine, first)
    moved = plan(tmp_path, url="https://www.media4sec.eu/events/dark-web-2017/")
    assert register(ledger.engine, moved) == 2
    assert {p.links for p in moved}.isdisjoint({p.links for p in first})
    assert len(stored(ledger)) == 4


def test_register_joins_the_callers_transaction(ledger: Ledger, tmp_path: Path) -> None:
    posts = plan(tmp_path)
    with ledger.engine.connect() as connection:
        transaction = connection.begin()
        assert register(connection, posts) == 2
        transaction.rollback()
    assert stored(ledger) == {}


def test_a_code_pointing_elsewhere_is_refused(ledger: Ledger) -> None:
    store_short_links(ledger.engine, [short_link("AAAAAAAAAAAAAAAA")])
    clash = short_link("AAAAAAAAAAAAAAAA", target="https://www.media4sec.eu/other")
    with pytest.raises(LedgerError, match="already redirects to"):
        store_short_links(ledger.engine, [clash])
    with ledger.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ShortLinkRow)) == 1


def test_posts_without_short_links_store_nothing(ledger: Ledger, tmp_path: Path) -> None:
    posts = plan_files([write_project(tmp_path)])
    assert short_links_of(posts) == []
    assert register(ledger.engine, posts) == 0


def test_schedule_stores_the_codes_its_posts_carry_and_the_redirector_follows_them(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = plan(tmp_path)
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", ledger.engine.url.render_as_string(False))
    result = CliRunner().invoke(app, ["schedule", str(tmp_path / "schedules" / "campaign.yaml")])
    assert result.exit_code == 0, result.output
    codes = stored(ledger)
    assert sorted(codes) == sorted(link.code for p in posts for link in p.extra["tracked_links"])
    with Redirector(ledger.engine) as running:
        for post in posts:
            (link,) = post.extra["tracked_links"]
            answer = httpx.get(f"{running.url}/{link.code}")
            assert (answer.status_code, answer.headers["location"]) == (302, link.tagged)
