"""Event records: what a project knows about a workshop, conference or webinar.

A record has the fields every template can count on (``id``, ``title``, ``starts``,
``ends``, ``timezone``, ``organiser``, ``url``, and ``venue`` and ``city`` unless the event
is ``online``), optional ones (``online``, ``hashtags``, ``handles``) and keeps any further
field (``kind``, ``speakers``, ``participants``, …) for templates. Records come inline in a
campaign file or from a YAML, JSON or CSV file of many records. In a campaign with
``languages:``, a field may hold one value per language (:mod:`campaign.records.languages`):
the record is then validated once per language, and :meth:`EventRecord.in_language` gives
each.
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
    model_validator,
)

from campaign.errors import InvalidCampaign, Problem
from campaign.records import yamlsrc
from campaign.records.files import read_source
from campaign.records.languages import localize
from campaign.records.problems import collect, dedupe, from_validation
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
    venue: str | None = Field(default=None, min_length=1)
    city: str | None = Field(default=None, min_length=1)
    organiser: str
    url: str = Field(pattern=r"^https?://\S+$")
    online: bool = False
    hashtags: TagList = Field(default_factory=list)
    handles: dict[str, str] = Field(default_factory=dict)

    _zone_name = field_validator("timezone")(zone_name)
    _origin: Origin | None = PrivateAttr(default=None)  # set for CSV rows
    # The record in each of the campaign's languages (empty without ``languages:``).
    _languages: dict[str, EventRecord] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _place_unless_online(self) -> EventRecord:
        for name in ("venue", "city"):
            if not self.online and getattr(self, name) is None:
                raise ValueError(
                    f"`{name}:` is missing; give the event's {name}, or set `online: true` "
                    "for an event held online"
                )
        return self

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

    def in_language(self, language: str | None) -> EventRecord:
        """This record in ``language`` (one of the campaign's), or as it is for ``None``."""
        if language is None:
            return self
        return self._languages[language]

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


def parse_record(
    data: Any,
    file: Path | str,
    prefix: tuple[str | int, ...] = (),
    languages: tuple[str, ...] = (),
) -> EventRecord:
    """Validate one record loaded from ``file`` (once per language of ``languages``).

    Raises :class:`InvalidCampaign` naming every bad field, and every field given per
    language that lacks one of ``languages``.
    """
    if not isinstance(data, dict):
        line = getattr(data, "line", None)
        raise InvalidCampaign.one(
            file, line, yamlsrc.field_path(prefix), "an event record must be a mapping of fields"
        )
    return _validated(data, data, file, languages, prefix=prefix)


def _validated(
    fields: dict[str, Any],
    data: Any,
    file: Path | str,
    languages: tuple[str, ...],
    *,
    prefix: tuple[str | int, ...] = (),
    line: int | None = None,
) -> EventRecord:
    """``fields`` as a record (in each of ``languages``); ``data`` and ``prefix`` or ``line``
    place problems in ``file``. Raises :class:`InvalidCampaign` with every problem."""
    if not languages:
        try:
            return EventRecord.model_validate(fields)
        except ValidationError as exc:
            raise InvalidCampaign(
                from_validation(exc, data, file, EventRecord, prefix, line=line)
            ) from None
    problems: list[Problem] = []
    records: dict[str, EventRecord] = {}
    for language in languages:
        localized, missing = localize(fields, language, languages)
        for path in missing:
            problems.append(_missing_translation(fields, data, file, prefix, line, path, language))
        if missing:
            continue
        try:
            records[language] = EventRecord.model_validate(localized)
        except ValidationError as exc:
            problems.extend(from_validation(exc, data, file, EventRecord, prefix, line=line))
    if problems:
        raise InvalidCampaign(dedupe(problems))
    main = records[languages[0]]
    main._languages.update(records)
    return main


def _missing_translation(
    fields: dict[str, Any],
    data: Any,
    file: Path | str,
    prefix: tuple[str | int, ...],
    line: int | None,
    path: tuple[str, ...],
    language: str,
) -> Problem:
    """The problem of the field at ``path`` having no value in ``language``."""
    name = ".".join(path)
    if line is None:  # YAML or JSON: the line of the field
        line = yamlsrc.line_of(data, (*prefix, *path))
        field, fix = yamlsrc.field_path((*prefix, *path)), f"add `{language}: …` under `{name}:`"
    else:  # a CSV row: the column to fill
        field, fix = f"{name}.{language}", f"fill in the column `{name}.{language}`"
    event = fields.get("id", "?")
    return Problem(
        file,
        line,
        field,
        f"event {event!r} has no {language!r} translation of `{name}`",
        f"{fix}, or give `{name}` one value for every language",
    )


def load_records(path: Path, languages: tuple[str, ...] = ()) -> list[EventRecord]:
    """Every record in a YAML, JSON or CSV file of events.

    YAML and JSON hold a list of records (or a mapping with an ``events:`` list); CSV has one
    record per row, a header naming the fields, lists separated by spaces, commas or
    semicolons, and dotted headers for mappings (``handles.twitter``, ``title.nl``). Each
    record is validated in each of ``languages`` (see :func:`parse_record`). Raises
    :class:`InvalidCampaign` with every bad record's line.
    """
    if path.suffix.lower() == ".csv":
        return _load_csv(path, languages)
    data = yamlsrc.load(path, "event file")
    if isinstance(data, dict) and "events" in data:
        data = data["events"]
    if not isinstance(data, list):
        raise InvalidCampaign.one(
            path, getattr(data, "line", 1), "", "expected a list of event records"
        )
    return collect(enumerate(data), lambda pair: parse_record(pair[1], path, (pair[0],), languages))


_Row = tuple[int, dict[str, str], frozenset[str]]


def _load_csv(path: Path, languages: tuple[str, ...]) -> list[EventRecord]:
    text = read_source(path, "event file")
    header, rows = _csv_rows(text, path)
    if may_hold_forbidden(text):
        _refuse_forbidden(header, rows, path)
    return collect(rows, lambda row: _parse_csv_row(*row, path, languages))


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
    line: int, row: dict[str, str], blank: frozenset[str], path: Path, languages: tuple[str, ...]
) -> EventRecord:
    record = _validated(_nest(row), row, path, languages, line=line)
    origin = Origin(path, line, blank)
    for each in (record, *record._languages.values()):
        each._origin = origin
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
