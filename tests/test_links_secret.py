"""Short links without set-up: with CAMPAIGN_LINKS_SECRET unset, `schedule` makes a key once
and keeps it in the ledger; the variable still wins; `validate` and `preview` never need it;
the key is never shown."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.errors import LedgerError
from campaign.render.planner import plan_files
from campaign.store import Ledger
from campaign.store.meta import links_secret
from campaign.store.schema import ShortLinkRow
from campaign.tagging.shortcodes import PLACEHOLDER_CODE, short_code
from tests.linkhelpers import Redirector
from tests.planfiles import campaign_data, write_project

ENV_SECRET = "a-test-secret-that-is-long-enough"
BASE = "https://go.example.org"


@pytest.fixture
def project(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A campaign that shortens its one site link, a ledger URL, and no secret set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMPAIGN_LINKS_SECRET", raising=False)
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    data = campaign_data(platforms=["twitter", "mastodon"], links={"shorten": True, "base": BASE})
    return write_project(tmp_path, data)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def stored_codes(url: str) -> dict[str, str]:
    with Ledger.open(url, create=False) as ledger, ledger.engine.connect() as connection:
        rows = connection.execute(select(ShortLinkRow.code, ShortLinkRow.post_id))
        return {str(code): str(post_id) for code, post_id in rows}


def ledger_key(url: str) -> str | None:
    with Ledger.open(url, create=False) as ledger:
        key = links_secret(ledger.engine)
    return key.get_secret_value() if key else None


def test_schedule_makes_a_key_once_keeps_it_and_never_shows_it(
    project: Path, sqlite_url: str
) -> None:
    first = run("schedule", str(project))
    assert first.exit_code == 0, first.output
    key = ledger_key(sqlite_url)
    assert key is not None
    assert len(key) >= 32
    codes = stored_codes(sqlite_url)
    assert len(codes) == 2
    for code, post_id in codes.items():
        assert code != PLACEHOLDER_CODE
        assert code == code_under(key, project, post_id)
    again = run("schedule", str(project), "--json")
    assert again.exit_code == 0, again.output
    assert len(json.loads(again.stdout)["unchanged"]) == 2
    assert ledger_key(sqlite_url) == key
    for result in (first, again, run("queue", "--json"), run("preview", str(project))):
        assert key not in result.output


def code_under(key: str, project: Path, post_id: str) -> str:
    """The code the post's one link gets with ``key``, worked out from the plan."""
    (post,) = [post for post in plan_files([project]) if post.id == post_id]
    return short_code(SecretStr(key), post_id, post.extra["tracked_links"][0].tagged)


def test_the_environment_variable_wins_and_nothing_is_kept(
    project: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_LINKS_SECRET", ENV_SECRET)
    assert run("schedule", str(project)).exit_code == 0
    assert ledger_key(sqlite_url) is None
    for code, post_id in stored_codes(sqlite_url).items():
        assert code == code_under(ENV_SECRET, project, post_id)


def test_validate_and_preview_need_no_key_and_no_ledger(project: Path, sqlite_url: str) -> None:
    assert run("validate", str(project)).exit_code == 0
    shown = run("preview", str(project))
    assert shown.exit_code == 0, shown.output
    assert f"short link: {BASE}/{PLACEHOLDER_CODE} → https://www.media4sec.eu/" in shown.stdout
    assert "until `campaign schedule` gives them their codes" in shown.stdout
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_preview_shows_the_codes_schedule_gave(project: Path, sqlite_url: str) -> None:
    assert run("schedule", str(project)).exit_code == 0
    shown = run("preview", str(project)).stdout
    for code in stored_codes(sqlite_url):
        assert f"short link: {BASE}/{code} → " in shown
    assert PLACEHOLDER_CODE not in shown


def test_scheduled_short_links_redirect_without_the_variable(
    project: Path, sqlite_url: str
) -> None:
    assert run("schedule", str(project)).exit_code == 0
    (code, _), *_ = stored_codes(sqlite_url).items()
    with Ledger.open(sqlite_url, create=False) as ledger, Redirector(ledger.engine) as redirector:
        response = httpx.get(f"{redirector.url}/{code}", timeout=10)
    assert response.status_code == 302
    assert response.headers["location"].startswith("https://www.media4sec.eu/")


def test_a_key_made_meanwhile_by_another_schedule_stops_the_sync(
    project: Path, sqlite_url: str
) -> None:
    from campaign.store.link_key import coded

    posts = plan_files([project])
    with Ledger.open(sqlite_url) as ledger:
        mine, my_key = coded(ledger.engine, posts)
        theirs, their_key = coded(ledger.engine, posts)
        assert my_key is not None
        assert their_key is not None
        ledger.sync(theirs, new_links_secret=their_key)
        with pytest.raises(LedgerError, match="run `campaign schedule` again"):
            ledger.sync(mine, new_links_secret=my_key)
    assert ledger_key(sqlite_url) == their_key.get_secret_value()
    assert set(stored_codes(sqlite_url)) == {
        link.code for post in theirs for link in post.extra["tracked_links"]
    }


def test_a_plan_with_placeholders_is_never_queued(project: Path, sqlite_url: str) -> None:
    with Ledger.open(sqlite_url) as ledger, pytest.raises(LedgerError, match="short-link key"):
        ledger.sync(plan_files([project]))
    assert stored_codes(sqlite_url) == {}
