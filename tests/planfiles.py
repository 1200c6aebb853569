"""Builds small campaign folders (schedules/, templates/, media) in a temp dir for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EVENT: dict[str, Any] = {
    "id": "dark-web-2017",
    "title": "Dark Web workshop",
    "starts": "2017-09-26 09:00",
    "ends": "2017-09-26 17:00",
    "timezone": "Europe/Amsterdam",
    "venue": "TNO",
    "city": "The Hague",
    "organiser": "TNO",
    "url": "https://www.media4sec.eu/events/dark-web-workshop/",
    "hashtags": ["DarkWeb", "Media4sec"],
    "handles": {"twitter": "@MEDIA4SEC"},
    "participants": 70,
}


def campaign_data(**overrides: Any) -> dict[str, Any]:
    """A valid one-announcement campaign, with ``overrides`` applied at the top level."""
    data: dict[str, Any] = {
        "campaign": "darkweb-2017",
        "timezone": "Europe/Amsterdam",
        "site": "https://www.media4sec.eu/",
        "platforms": ["twitter"],
        "event": dict(EVENT),
        "announcements": [{"template": "hello", "at": "-1d 10:00"}],
    }
    data.update(overrides)
    return data


def write_project(
    root: Path,
    data: dict[str, Any] | str | None = None,
    templates: dict[str, str] | None = None,
    name: str = "campaign.yaml",
) -> Path:
    """Write ``schedules/<name>`` and ``templates/*`` under ``root``; return the campaign path."""
    schedules = root / "schedules"
    schedules.mkdir(parents=True, exist_ok=True)
    for rel, text in (templates or {"hello.j2": "Hello {{ event.title }} {{ event.url }}"}).items():
        path = root / "templates" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "templates").mkdir(exist_ok=True)
    campaign = schedules / name
    body = (
        data if isinstance(data, str) else yaml.safe_dump(data or campaign_data(), sort_keys=False)
    )
    campaign.write_text(body, encoding="utf-8")
    return campaign


CSV_COLUMNS = ("id", "title", "starts", "ends", "timezone", "venue", "city", "organiser", "url")


def csv_events(*rows: dict[str, str], extra: tuple[str, ...] = ()) -> str:
    """An events CSV: the required columns of :data:`EVENT` and ``extra``, one line a row.

    Each row is :data:`EVENT`'s values with the row's values over them; cells are not
    quoted, so values must not hold commas or quotes.
    """
    columns = (*CSV_COLUMNS, *extra)
    lines = [",".join(columns)]
    for row in rows:
        values = {**{name: str(EVENT.get(name, "")) for name in columns}, **row}
        lines.append(",".join(values[name] for name in columns))
    return "\n".join(lines) + "\n"
