"""One campaign file for many kinds of event: ``where:`` picks events, online events have no
venue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from campaign.cli import app
from campaign.errors import InvalidCampaign
from campaign.render.planner import plan_files
from tests.planfiles import EVENT, campaign_data, write_project

CONFERENCE = {**EVENT, "id": "conf-2030", "kind": "conference"}
WEBINARS = [
    {
        **{k: v for k, v in EVENT.items() if k not in ("venue", "city")},
        "id": f"webinar-{n}",
        "kind": "webinar",
        "online": True,
        "starts": f"2017-10-0{n} 15:00",
        "ends": f"2017-10-0{n} 16:00",
    }
    for n in (1, 2)
]
WHERE_TEMPLATE = (
    "{{ event.id }} {% if event.online %}online{% else %}at {{ event.venue }}, "
    "{{ event.city }}{% endif %}"
)


def mixed_project(tmp_path: Path, announcements: list[dict[str, Any]]) -> Path:
    """A campaign over one conference and two online webinars, in one events file."""
    (tmp_path / "schedules").mkdir(parents=True)
    events = [CONFERENCE, *WEBINARS]
    (tmp_path / "schedules" / "events.yaml").write_text(yaml.safe_dump(events))
    data = campaign_data(event=None, events="events.yaml", announcements=announcements)
    data.pop("event")
    return write_project(tmp_path, data, {"hello.j2": WHERE_TEMPLATE})


def test_a_conference_and_two_online_webinars_in_one_file(tmp_path: Path) -> None:
    announcements = [
        {"template": "hello", "at": "-7d 10:00", "key": "everyone"},
        {"template": "hello", "at": "-1d 10:00", "key": "webinars", "where": {"kind": "webinar"}},
        {"template": "hello", "at": "-2d 10:00", "key": "talks", "where": {"kind": ["conference"]}},
    ]
    posts = plan_files([mixed_project(tmp_path, announcements)])
    made = sorted((post.announcement, post.text) for post in posts)
    assert made == [
        ("everyone", "conf-2030 at TNO, The Hague"),
        ("everyone", "webinar-1 online"),
        ("everyone", "webinar-2 online"),
        ("talks", "conf-2030 at TNO, The Hague"),
        ("webinars", "webinar-1 online"),
        ("webinars", "webinar-2 online"),
    ]


@pytest.mark.parametrize(
    ("where", "events"),
    [
        ({"kind": ["webinar", "conference"]}, ["conf-2030", "webinar-1", "webinar-2"]),
        ({"kind": "webinar", "id": "webinar-2"}, ["webinar-2"]),
        ({"online": True}, ["webinar-1", "webinar-2"]),
        ({"participants": "70"}, ["conf-2030", "webinar-1", "webinar-2"]),
        ({"speaker": "anyone"}, []),
    ],
    ids=["any-of", "all-fields", "boolean", "as-text", "field-nobody-has"],
)
def test_where_is_equality_on_event_fields(
    tmp_path: Path, where: dict[str, Any], events: list[str]
) -> None:
    announcements = [{"template": "hello", "at": "-1d 10:00", "where": where}]
    posts = plan_files([mixed_project(tmp_path, announcements)])
    assert sorted(post.event for post in posts) == events


@pytest.mark.parametrize("command", ["validate", "preview", "schedule"])
def test_planning_warns_about_an_announcement_that_matches_no_event(
    tmp_path: Path, command: str
) -> None:
    announcements = [
        {"template": "hello", "at": "-1d 10:00"},
        {"template": "hello", "at": "-2d 10:00", "key": "typo", "where": {"kind": "webinr"}},
    ]
    path = mixed_project(tmp_path, announcements)
    env = {"CAMPAIGN_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    result = CliRunner().invoke(app, [command, str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr
    assert "announcement 'typo' matches no event" in result.stderr
    assert f"{path}:" in result.stderr
    assert "announcements[1].where" in result.stderr
    if command == "validate":
        assert "3 post(s)" in result.stdout


@pytest.mark.parametrize("missing", ["venue", "city"])
def test_venue_and_city_are_required_unless_the_event_is_online(
    tmp_path: Path, missing: str
) -> None:
    event = {k: v for k, v in EVENT.items() if k != missing}
    with pytest.raises(InvalidCampaign) as caught:
        plan_files([write_project(tmp_path / "in-person", campaign_data(event=event))])
    assert f"`{missing}:` is missing" in str(caught.value)
    assert "online: true" in str(caught.value)
    online = write_project(tmp_path / "online", campaign_data(event={**event, "online": True}))
    assert len(plan_files([online])) == 1


def test_a_template_printing_the_venue_of_an_online_event_names_the_field(
    tmp_path: Path,
) -> None:
    event = {**WEBINARS[0], "online": True}
    path = write_project(tmp_path, campaign_data(event=event), {"hello.j2": "{{ event.venue }}"})
    with pytest.raises(InvalidCampaign, match="has no attribute 'venue'"):
        plan_files([path])
