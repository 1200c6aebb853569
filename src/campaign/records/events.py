"""Event records: what a project knows about a workshop, conference or webinar.

A record has the fields every template can count on (``id``, ``title``, ``starts``,
``ends``, ``timezone``, ``venue``, ``city``, ``organiser``, ``url``, ``hashtags``,
``handles``) and keeps any further field (``speakers``, ``participants``, …) for templates.
Records come inline in a campaign file or from a YAML, JSON or CSV file of many records.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from campaign.errors import InvalidCampaign
from campaign.records import yamlsrc
from campaign.records.problems import collect, from_validation
from campaign.records.zones import zone_name

SLUG = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _split_list(value: Any) -> Any:
    """CSV cells hold lists as ``a b c`` or ``a, b; c``."""
    if isinstance(value, str):
        return [item for item in value.replace(",", " ").replace(";", " ").split() if item]
    return value


def _local_datetime(value: Any) -> Any:
    """Accept ``2017-09-26 09:00`` (and a bare date, meaning midnight) as a local time."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a date-time; write it as YYYY-MM-DD HH:MM, e.g. 2017-09-26 09:00"
            ) from None
        if parsed.tzinfo is not None:
            raise ValueError(
                f"{text!r} carries a UTC offset; write the local time and set `timezone:`"
            )
        return parsed
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    return value


LocalDateTime = Annotated[datetime, BeforeValidator(_local_datetime)]
TagList = Annotated[list[str], BeforeValidator(_split_list)]


class EventRecord(BaseModel):
    """One event. ``starts``/``ends`` are local times in ``timezone``; extra fields are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    starts: LocalDateTime
    ends: LocalDateTime
    timezone: str
    venue: str
    city: str
    organiser: str
    url: str = Field(pattern=r"^https?://\S+$")
    hashtags: TagList = Field(default_factory=list)
    handles: dict[str, str] = Field(default_factory=dict)

    _zone_name = field_validator("timezone")(zone_name)

    @field_validator("hashtags")
    @classmethod
    def _strip_hash(cls, tags: list[str]) -> list[str]:
        return [tag.lstrip("#") for tag in tags]

    @field_validator("ends")
    @classmethod
    def _ends_after_start(cls, ends: datetime, info: Any) -> datetime:
        starts = info.data.get("starts")
        if starts is not None and ends < starts:
            raise ValueError(f"the event ends ({ends}) before it starts ({starts})")
        return ends

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def extra(self) -> dict[str, Any]:
        """The fields beyond the required ones (``speakers``, ``participants``, …)."""
        return dict(self.__pydantic_extra__ or {})


def parse_record(data: Any, file: Path | str, prefix: tuple[str | int, ...] = ()) -> EventRecord:
    """Validate one record loaded from ``file``; raises :class:`InvalidCampaign`."""
    if not isinstance(data, dict):
        line = getattr(data, "line", None)
        raise InvalidCampaign.one(
            file, line, yamlsrc.field_path(prefix), "an event record must be a mapping of fields"
        )
    try:
        return EventRecord.model_validate(data)
    except ValidationError as exc:
        raise InvalidCampaign(from_validation(exc, data, file, EventRecord, prefix)) from None


def load_records(path: Path) -> list[EventRecord]:
    """Every record in a YAML, JSON or CSV file of events.

    YAML and JSON hold a list of records (or a mapping with an ``events:`` list); CSV has one
    record per row, a header naming the fields, lists separated by spaces, commas or
    semicolons, and dotted headers for mappings (``handles.twitter``). Raises
    :class:`InvalidCampaign` with every bad record's line.
    """
    if path.suffix.lower() == ".csv":
        return _load_csv(path)
    data = yamlsrc.load(path)
    if isinstance(data, dict) and "events" in data:
        data = data["events"]
    if not isinstance(data, list):
        raise InvalidCampaign.one(
            path, getattr(data, "line", 1), "", "expected a list of event records"
        )
    return collect(enumerate(data), lambda pair: parse_record(pair[1], path, (pair[0],)))


def _load_csv(path: Path) -> list[EventRecord]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidCampaign.one(path, None, "", f"cannot read the file ({exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        rows: list[tuple[int, dict[str, Any]]] = []
        for row in reader:
            rows.append((reader.line_num, _nest({k: v for k, v in row.items() if k and v})))
    return collect(rows, lambda pair: _parse_csv_row(pair[1], path, pair[0]))


def _parse_csv_row(row: dict[str, Any], path: Path, line: int) -> EventRecord:
    try:
        return EventRecord.model_validate(row)
    except ValidationError as exc:
        raise InvalidCampaign(from_validation(exc, row, path, EventRecord, line=line)) from None


def _nest(row: dict[str, Any]) -> dict[str, Any]:
    """``{"handles.twitter": "@x"}`` becomes ``{"handles": {"twitter": "@x"}}``."""
    nested: dict[str, Any] = {}
    for key, value in row.items():
        head, _, rest = key.strip().partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            nested[head] = value
    return nested
