"""Campaign files (``schedules/*.yaml``): which announcements go out when, and where.

A campaign names its slug, default time zone, the project site, default platforms, maybe
the languages it posts in, its event (inline under ``event:`` or many under ``events:
path``) and its announcements, each drawn from a template and placed with an ``at`` (see
:mod:`campaign.records.timespec`), maybe only in some languages or for some events
(``where:``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from campaign.errors import ConfigurationError, InvalidCampaign
from campaign.platforms.registry import canonical
from campaign.records import timespec, yamlsrc
from campaign.records.events import SLUG, EventRecord, load_records, parse_record
from campaign.records.files import UnreadableFile
from campaign.records.languages import check_tags
from campaign.records.problems import from_validation
from campaign.records.rules import RulesSpec
from campaign.records.zones import zone_name

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _platform_names(names: list[str]) -> list[str]:
    """The platforms' own names for ``names`` (``x`` is ``twitter``), each at most once."""
    try:
        names = [canonical(name) for name in names]
    except ConfigurationError as exc:
        raise ValueError(str(exc)) from None
    if len(set(names)) != len(names):
        raise ValueError("a platform is listed twice")
    return names


class MediaSpec(BaseModel):
    """An image for an announcement: a path (relative to the campaign file) and its alt text;
    ``emblem`` marks the EU emblem, which keeps a ``require: funding_statement`` rule."""

    model_config = _STRICT

    path: str = Field(min_length=1)
    alt: str = Field(
        min_length=1,
        description="describe the image for people who cannot see it",
    )
    emblem: bool = False  # the EU emblem: acknowledges funding (see `require: funding_statement`)

    @field_validator("alt")
    @classmethod
    def _alt_not_blank(cls, alt: str) -> str:
        if not alt.strip():
            raise ValueError("alt text is empty; describe the image for people who cannot see it")
        return alt.strip()


class LinksSpec(BaseModel):
    """How links back to the project site are tracked."""

    model_config = _STRICT

    shorten: bool = False
    base: str | None = Field(default=None, pattern=r"^https?://[^/\s]+/?$")
    track_domains: list[str] = Field(default_factory=list)
    utm: dict[str, str] = Field(default_factory=dict)

    @field_validator("utm")
    @classmethod
    def _utm_keys(cls, utm: dict[str, str]) -> dict[str, str]:
        allowed = {"source", "medium", "campaign", "content", "term"}
        unknown = sorted(set(utm) - allowed)
        if unknown:
            raise ValueError(f"unknown UTM key {unknown[0]!r}; use: {', '.join(sorted(allowed))}")
        return utm

    @model_validator(mode="after")
    def _base_when_shortening(self) -> LinksSpec:
        if self.shorten and not self.base:
            raise ValueError(
                "shorten is on but no `base:` is set; add e.g. `base: https://go.example.org`"
            )
        return self


class AnnouncementSpec(BaseModel):
    """One announcement: a template placed at a time, on some platforms, maybe with images."""

    model_config = _STRICT

    template: str = Field(min_length=1)
    at: str
    key: str | None = Field(default=None, pattern=SLUG)
    platforms: list[str] | None = None
    languages: list[str] | None = Field(default=None, min_length=1)
    where: dict[str, Any] = Field(default_factory=dict)
    media: list[MediaSpec] = Field(default_factory=list)

    _at = field_validator("at")(timespec.check)
    _platforms = field_validator("platforms")(_platform_names)
    _languages = field_validator("languages")(check_tags)

    @property
    def name(self) -> str:
        """The announcement's key: ``key`` if given, else the template's name."""
        return self.key or self.template.rsplit("/", 1)[-1].removesuffix(".j2")

    def applies_to(self, event: EventRecord) -> bool:
        """Whether ``where:`` lets this announcement go out for ``event``.

        Each field named must equal the event's (a list means any of its values); a field the
        event lacks never matches. Values compare as written, or as text (a CSV's ``70``).
        """
        if not self.where:
            return True
        fields = event.model_dump()
        for name, wanted in self.where.items():
            if name not in fields:
                return False
            options = wanted if isinstance(wanted, list) else [wanted]
            value = fields[name]
            if not any(value == option or str(value) == str(option) for option in options):
                return False
        return True


class CampaignSpec(BaseModel):
    """The validated content of one campaign file."""

    model_config = _STRICT

    campaign: str = Field(pattern=SLUG)
    timezone: str
    site: str = Field(pattern=r"^https?://\S+$")
    platforms: list[str] = Field(min_length=1)
    languages: list[str] | None = Field(default=None, min_length=1)
    announcements: list[AnnouncementSpec]
    event: dict[str, Any] | None = None
    events: str | None = None
    templates: str | None = None
    links: LinksSpec = Field(default_factory=LinksSpec)
    vars: dict[str, Any] = Field(default_factory=dict)
    require: RulesSpec = Field(default_factory=RulesSpec)

    _zone = field_validator("timezone")(zone_name)
    _platforms = field_validator("platforms")(_platform_names)
    _languages = field_validator("languages")(check_tags)

    @field_validator("announcements")
    @classmethod
    def _some_announcements(cls, items: list[AnnouncementSpec]) -> list[AnnouncementSpec]:
        if not items:
            raise ValueError(
                "the campaign has no announcements; add at least one with `template:` and `at:`"
            )
        return items

    @model_validator(mode="after")
    def _one_event_source(self) -> CampaignSpec:
        if (self.event is None) == (self.events is None):
            raise ValueError(
                "give the event either inline under `event:` or as a file under `events:`, "
                "exactly one of the two"
            )
        return self

    @property
    def all_languages(self) -> tuple[str, ...]:
        """The campaign's languages, the main one first; empty when it names none."""
        return tuple(self.languages or ())


@dataclass(frozen=True)
class Campaign:
    """A campaign file, validated, with its event records and where its templates live."""

    path: Path
    spec: CampaignSpec
    records: tuple[EventRecord, ...]
    templates_dir: Path
    data: Any

    def line(self, *loc: str | int) -> int | None:
        """The line in the campaign file of the field at ``loc``."""
        return yamlsrc.line_of(self.data, loc)


def load_campaign(path: Path) -> Campaign:
    """Read, validate and resolve one campaign file with its event records.

    Raises :class:`InvalidCampaign` listing every problem with file, line and field.
    Control and invisible characters are refused anywhere in the file (``vars:`` and
    ``event:`` among them; see :mod:`campaign.records.text`).
    """
    data = yamlsrc.load(path, "campaign file")
    if not isinstance(data, dict):
        raise InvalidCampaign.one(
            path,
            getattr(data, "line", 1),
            "",
            "a campaign file must be a mapping with `campaign:`, `timezone:`, `announcements:` …",
            "see schedules/ for an example",
        )
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidCampaign(from_validation(exc, data, path, CampaignSpec)) from None
    _check_unique_keys(spec, data, path)
    _check_announcement_languages(spec, data, path)
    base = path.parent
    languages = spec.all_languages
    if spec.event is not None:
        records: list[EventRecord] = [parse_record(data["event"], path, ("event",), languages)]
    else:
        assert spec.events is not None
        try:
            records = load_records(base / spec.events, languages)
        except UnreadableFile as exc:
            raise InvalidCampaign.one(
                path, yamlsrc.line_of(data, ("events",)), "events", exc.message, exc.hint
            ) from None
        if not records:
            raise InvalidCampaign.one(
                path, yamlsrc.line_of(data, ("events",)), "events", "the events file is empty"
            )
    templates = (base / spec.templates) if spec.templates else base.parent / "templates"
    if not templates.is_dir():
        field = "templates" if spec.templates else "campaign"
        raise InvalidCampaign.one(
            path,
            yamlsrc.line_of(data, (field,)),
            field,
            f"the templates folder {templates} does not exist",
            "create it beside schedules/ or name another with `templates: path`",
        )
    return Campaign(path, spec, tuple(records), templates, data)


def _check_unique_keys(spec: CampaignSpec, data: Any, path: Path) -> None:
    """Refuse two announcements with one key, unless they are variants of one announcement
    in different languages (each lists its ``languages:``, and no language twice)."""
    seen: dict[str, list[int]] = {}
    for index, announcement in enumerate(spec.announcements):
        for other in seen.get(announcement.name, ()):
            if not _language_variants(announcement, spec.announcements[other]):
                raise InvalidCampaign.one(
                    path,
                    yamlsrc.line_of(data, ("announcements", index)),
                    f"announcements[{index}]",
                    f"announcement key {announcement.name!r} is already used by "
                    f"announcements[{other}]",
                    "give one of them a distinct `key:`, or give each its own `languages:`",
                )
        seen.setdefault(announcement.name, []).append(index)


def _language_variants(one: AnnouncementSpec, other: AnnouncementSpec) -> bool:
    """Whether two announcements post in languages they each list, none in both."""
    return bool(one.languages and other.languages) and not set(one.languages or ()) & set(
        other.languages or ()
    )


def _check_announcement_languages(spec: CampaignSpec, data: Any, path: Path) -> None:
    """Refuse an announcement's ``languages:`` naming one the campaign does not list."""
    for index, announcement in enumerate(spec.announcements):
        extra = [tag for tag in announcement.languages or () if tag not in spec.all_languages]
        if extra:
            listed = ", ".join(spec.all_languages) or "none"
            raise InvalidCampaign.one(
                path,
                yamlsrc.line_of(data, ("announcements", index, "languages")),
                f"announcements[{index}].languages",
                f"{extra[0]!r} is not one of the campaign's `languages:` ({listed})",
                f"add {extra[0]!r} to the campaign's `languages:`, or leave it out here",
            )
