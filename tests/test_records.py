"""Event records: inline, or many from YAML, JSON and CSV files; extra fields reach templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from campaign.records.events import load_records
from campaign.render.planner import plan_files
from tests.planfiles import EVENT, campaign_data, write_project

OTHER = {
    **EVENT,
    "id": "osint-2018",
    "title": "OSINT workshop",
    "starts": "2018-03-20 09:00",
    "ends": "2018-03-20 17:00",
    "room": "Room 2",
}


TEMPLATE = "{{ event.title }} in {{ event.room }} {{ handle() }} #{{ event.hashtags[1] }}"


def _write_events(folder: Path, kind: str) -> str:
    records = [dict(EVENT, room="Auditorium"), OTHER]
    name = f"events.{kind}"
    if kind == "yaml":
        (folder / name).write_text(yaml.safe_dump(records))
    elif kind == "json":
        (folder / name).write_text(json.dumps({"events": records}, indent=2))
    else:
        header = (
            "id,title,starts,ends,timezone,venue,city,organiser,url,hashtags,handles.twitter,room"
        )
        rows = [
            ",".join(
                [
                    r["id"],
                    r["title"],
                    r["starts"],
                    r["ends"],
                    r["timezone"],
                    r["venue"],
                    r["city"],
                    r["organiser"],
                    r["url"],
                    " ".join(r["hashtags"]),
                    r["handles"]["twitter"],
                    r["room"],
                ]
            )
            for r in records
        ]
        (folder / name).write_text("\n".join([header, *rows]) + "\n")
    return name


@pytest.mark.parametrize("kind", ["yaml", "json", "csv"])
def test_a_file_of_records_applies_the_plan_to_every_event(tmp_path: Path, kind: str) -> None:
    path = write_project(
        tmp_path,
        campaign_data(event=None, events="PLACEHOLDER"),
        {"hello.j2": TEMPLATE},
    )
    name = _write_events(path.parent, kind)
    path.write_text(path.read_text().replace("PLACEHOLDER", name))
    posts = plan_files([path])
    assert [p.event for p in posts] == ["dark-web-2017", "osint-2018"]
    assert posts[0].text == "Dark Web workshop in Auditorium @MEDIA4SEC #Media4sec"
    assert posts[1].text == "OSINT workshop in Room 2 @MEDIA4SEC #Media4sec"
    assert len({p.id for p in posts}) == 2


def test_extra_fields_are_kept_on_the_record(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(yaml.safe_dump([dict(EVENT, participants=70)]))
    [record] = load_records(tmp_path / "e.yaml")
    assert record.extra == {"participants": 70}
    assert record.hashtags == ["DarkWeb", "Media4sec"]


def test_hashtags_may_be_written_with_or_without_hash(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(yaml.safe_dump([dict(EVENT, hashtags=["#DarkWeb", "EU"])]))
    assert load_records(tmp_path / "e.yaml")[0].hashtags == ["DarkWeb", "EU"]
