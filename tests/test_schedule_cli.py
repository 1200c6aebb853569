"""``campaign schedule``: plans campaign files into the ledger, all or nothing, loudly."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.render.planner import plan_files
from campaign.store import Ledger
from campaign.store.states import MISSED, SCHEDULED, SENT
from tests.ledger_helpers import force_state
from tests.planfiles import campaign_data, write_project

EXAMPLE = Path(__file__).parents[1] / "schedules" / "darkweb-2017.yaml"
TWO_ANNOUNCEMENTS = campaign_data(
    announcements=[
        {"template": "hello", "at": "-1d 10:00"},
        {"template": "hello", "at": "-2d 10:00", "key": "early"},
    ]
)


@pytest.fixture
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ledger every command in the test uses, through CAMPAIGN_DATABASE_URL."""
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("CAMPAIGN_GRACE_MINUTES", raising=False)
    return sqlite_url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def schedule_json(*args: str) -> dict[str, list[str]]:
    result = run("schedule", *args, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, list[str]] = json.loads(result.stdout)
    return report


def states(url: str) -> dict[str, str]:
    with Ledger.open(url) as ledger:
        return {post.id: post.state for post in ledger.list()}


@pytest.fixture
def before_the_event() -> Any:
    """Travel to an hour before the example campaign's first post (the event was in 2017)."""
    first = min(post.scheduled_at for post in plan_files([EXAMPLE]))
    with time_machine.travel(first - timedelta(hours=1), tick=False) as traveller:
        yield traveller


@pytest.mark.usefixtures("before_the_event")
def test_example_campaign_is_scheduled_once(db: str) -> None:
    planned = {post.id for post in plan_files([EXAMPLE])}
    first = schedule_json(str(EXAMPLE))
    assert set(first["added"]) == planned
    assert first["missed"] == first["conflicts"] == first["cancelled"] == []
    again = schedule_json(str(EXAMPLE))
    assert set(again["unchanged"]) == planned
    assert again["added"] == again["updated"] == []
    assert set(states(db).values()) == {SCHEDULED}


@pytest.mark.usefixtures("before_the_event")
def test_schedule_works_on_every_backend(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", ledger_url)
    path = write_project(tmp_path, TWO_ANNOUNCEMENTS)
    assert len(schedule_json(str(path))["added"]) == 2
    assert len(schedule_json(str(path))["unchanged"]) == 2


@pytest.mark.usefixtures("before_the_event")
def test_schedule_tells_people_what_it_did(db: str, tmp_path: Path) -> None:
    path = write_project(tmp_path, TWO_ANNOUNCEMENTS)
    result = run("schedule", str(path))
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged, 0 cancelled, 0 missed" in result.stdout
    for post_id in states(db):
        assert post_id in result.stdout


def test_posts_already_past_are_missed_and_said_loudly(db: str, tmp_path: Path) -> None:
    path = write_project(tmp_path)  # the event was in 2017
    result = run("schedule", str(path))
    assert result.exit_code == 0, result.output
    assert "MISSED: 1 post(s)" in result.stderr
    assert "they will NOT be sent" in result.stderr
    [(post_id, state)] = states(db).items()
    assert state == MISSED
    assert post_id in result.stderr


@pytest.mark.usefixtures("before_the_event")
def test_edited_post_is_updated(db: str, tmp_path: Path) -> None:
    path = write_project(tmp_path)
    [post_id] = schedule_json(str(path))["added"]
    write_project(tmp_path, templates={"hello.j2": "Edited: {{ event.title }}"})
    assert schedule_json(str(path))["updated"] == [post_id]
    with Ledger.open(db) as ledger:
        assert ledger.get(post_id).text.startswith("Edited: Dark Web workshop")


@pytest.mark.usefixtures("before_the_event")
def test_sent_post_whose_file_changed_is_a_loud_conflict(db: str, tmp_path: Path) -> None:
    path = write_project(tmp_path)
    [post_id] = schedule_json(str(path))["added"]
    with Ledger.open(db) as ledger:
        force_state(ledger, post_id, SENT, remote_id="1001")
        sent_text = ledger.get(post_id).text
    write_project(tmp_path, templates={"hello.j2": "Too late: {{ event.title }}"})
    result = run("schedule", str(path))
    assert result.exit_code == 0, result.output
    assert "CHANGED AFTER SENDING: 1 post(s)" in result.stderr
    assert post_id in result.stderr
    with Ledger.open(db) as ledger:
        assert ledger.get(post_id).text == sent_text


@pytest.mark.usefixtures("before_the_event")
def test_removed_announcement_is_cancelled_only_with_prune(db: str, tmp_path: Path) -> None:
    path = write_project(tmp_path, TWO_ANNOUNCEMENTS)
    schedule_json(str(path))
    write_project(tmp_path)  # the "early" announcement is gone
    result = run("schedule", str(path))
    assert "schedule again with --prune" in result.stdout
    assert sorted(states(db).values()) == [SCHEDULED, SCHEDULED]
    pruned = schedule_json(str(path), "--prune")
    assert len(pruned["cancelled"]) == 1
    assert sorted(states(db).values()) == ["cancelled", SCHEDULED]
    write_project(tmp_path, TWO_ANNOUNCEMENTS)  # "early" is back
    result = run("schedule", str(path))
    assert "1 post(s) cancelled by an earlier --prune are back" in result.stdout
    assert pruned["cancelled"][0] in result.stdout
    assert sorted(states(db).values()) == [SCHEDULED, SCHEDULED]


@pytest.mark.parametrize(
    "templates",
    [{"hello.j2": "x" * 281}, {"hello.j2": "Hi {{ event.speakerz }}"}],
    ids=["over-the-limit", "undefined-variable"],
)
def test_invalid_input_writes_nothing(db: str, tmp_path: Path, templates: dict[str, str]) -> None:
    good = write_project(tmp_path / "good", TWO_ANNOUNCEMENTS)
    bad = write_project(tmp_path / "bad", campaign_data(campaign="other"), templates)
    result = run("schedule", str(good), str(bad))
    assert result.exit_code == 1
    assert "nothing was changed" in result.stderr
    assert states(db) == {}


def test_missing_path_is_an_error_and_writes_nothing(db: str, tmp_path: Path) -> None:
    result = run("schedule", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code != 0
    assert states(db) == {}
