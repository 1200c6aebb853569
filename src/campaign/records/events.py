"""Event records: what a project knows about a workshop, conference or webinar.

A record has the fields every template can count on (``id``, ``title``, ``starts``,
``ends``, ``timezone``, ``venue``, ``city``, ``organiser``, ``url``, ``hashtags``,
``handles``) and keeps any further field (``speakers``, ``participants``, …) for templates.
Records come inline in a campaign file or from a YAML, JSON or CSV file of many records.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from campaign.errors import InvalidCampaign, Problem
from campaign.records import yamlsrc
from campaign.records.files import read_source
from campaign.records.problems import collect, from_validation
from campaign.records.text import may_hold_forbidden
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


@dataclass(frozen=True)
class Origin:
    """The CSV row a record was read from: its file, first line and blank cells."""

    file: Path | str
    line: int | None
    blank: frozenset[str] = frozenset()
    """The columns left blank in the row; a blank cell is a field the record does not have."""


OPTIONAL_HINT = (
    'or make the field optional in the template: {{{{ event.{name} | default("") }}}}, or '
    "{{% if event.{name} is defined %}}…{{% endif %}}"
)


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
    _origin: Origin | None = PrivateAttr(default=None)  # set for CSV rows

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

    def blank_cell(self, name: str, used_at: str) -> Problem | None:
        """The problem of a template at ``used_at`` needing the field ``name`` left blank.

        ``None`` unless the record is a CSV row whose cell for ``name`` (or for a dotted
        column ending in it, ``handles.twitter``) is blank; the problem names the file, row
        and column, and says how to make the field optional.
        """
        origin = self._origin
        if origin is None:
            return None
        for column in sorted(origin.blank):
            if column == name or column.endswith(f".{name}"):
                return Problem(
                    origin.file,
                    origin.line,
                    column,
                    f"event {self.id!r} leaves the cell in column {column!r} blank, but "
                    f"{used_at} uses it",
                    "fill in the cell, " + OPTIONAL_HINT.format(name=column),
                )
        return None


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
    data = yamlsrc.load(path, "event file")
    if isinstance(data, dict) and "events" in data:
        data = data["events"]
    if not isinstance(data, list):
        raise InvalidCampaign.one(
            path, getattr(data, "line", 1), "", "expected a list of event records"
        )
    return collect(enumerate(data), lambda pair: parse_record(pair[1], path, (pair[0],)))


_Row = tuple[int, dict[str, str], frozenset[str]]


def _load_csv(path: Path) -> list[EventRecord]:
    text = read_source(path, "event file")
    header, rows = _csv_rows(text, path)
    if may_hold_forbidden(text):
        _refuse_forbidden(header, rows, path)
    return collect(rows, lambda row: _parse_csv_row(*row, path))


def _refuse_forbidden(header: dict[str, str], rows: list[_Row], path: Path) -> None:
    """Control characters in the header (reported once) or in any cell, by row and column."""
    problems = yamlsrc.check_characters(header, path, line=1)
    if not problems:
        for line, row, _ in rows:
            problems.extend(yamlsrc.check_characters(row, path, line=line))
    if problems:
        raise InvalidCampaign(problems)


# A cell this long is almost always an opening quote never closed: the rest is one cell.
_CELL_TOO_LONG = re.compile(r"field larger than field limit \((\d+)\)")


def _csv_rows(text: str, path: Path) -> tuple[dict[str, str], list[_Row]]:
    """The CSV's column names (as keys), and each row as its first line, its filled cells
    by column and its blank columns."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    next_line = 1
    try:
        header = dict.fromkeys(reader.fieldnames or (), "")
        next_line = reader.line_num + 1
        for row in reader:
            filled: dict[str, str] = {}
            blank: set[str] = set()
            for key, value in row.items():
                if not key:  # cells beyond the header's columns
                    continue
                name = key.strip()
                if value is None or not value.strip():
                    blank.add(name)
                else:
                    # A line break inside a quoted cell, as Windows writes it.
                    filled[name] = value.replace("\r\n", "\n") if "\r" in value else value
            line = reader.line_num - sum(value.count("\n") for value in filled.values())
            rows.append((line, filled, frozenset(blank)))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        too_long = _CELL_TOO_LONG.search(str(exc))
        if too_long is None:
            raise InvalidCampaign.one(path, next_line, "", f"malformed CSV: {exc}") from None
        raise InvalidCampaign.one(
            path,
            next_line,
            "",
            f"a cell in the row starting here is longer than {int(too_long[1]):,} characters",
            'check for a quote (") that is never closed, which makes the rest of the file one cell',
        ) from None
    return header, rows


def _parse_csv_row(
    line: int, row: dict[str, str], blank: frozenset[str], path: Path
) -> EventRecord:
    try:
        record = EventRecord.model_validate(_nest(row))
    except ValidationError as exc:
        raise InvalidCampaign(from_validation(exc, row, path, EventRecord, line=line)) from None
    record._origin = Origin(path, line, blank)
    return record


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
