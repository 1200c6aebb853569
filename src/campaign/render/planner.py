"""Plans campaigns into posts: every announcement, for every event and platform, rendered.

This is the one place where a campaign file becomes :class:`~campaign.render.post.Post`
objects; ``validate``, ``preview`` and ``schedule`` all go through :func:`plan_files`, so
what people preview is exactly what gets queued and published.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from campaign.errors import InvalidCampaign, PermanentError, Problem
from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import Image
from campaign.platforms.registry import platform as platform_spec
from campaign.records import timespec
from campaign.records.campaign_file import AnnouncementSpec, Campaign, load_campaign
from campaign.records.events import EventRecord
from campaign.records.media import MediaProblem, load_media
from campaign.records.problems import collect, dedupe
from campaign.records.yamlsrc import field_path
from campaign.render.limits import Budget
from campaign.render.loader import templates_folder
from campaign.render.post import Post, post_id
from campaign.render.rules import check_rules
from campaign.render.templates import Renderer, RenderFailure
from campaign.tagging.tracking import LinkPolicy, LinkTagger

CAMPAIGN_SUFFIXES = (".yaml", ".yml")


def campaign_files(paths: Sequence[Path]) -> list[Path]:
    """The campaign files named by ``paths``; a folder stands for its ``*.yaml`` files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in CAMPAIGN_SUFFIXES))
        else:
            files.append(path)
    return files


def plan_files(
    paths: Sequence[Path],
    *,
    allow_outside: bool = False,
    specs: Mapping[str, PlatformSpec] | None = None,
    warnings: list[Problem] | None = None,
) -> list[Post]:
    """Every post of every campaign file in ``paths``, rendered and checked, in time order.

    Templates come only from a templates folder inside the project folder, unless
    ``allow_outside``; all renders share one time budget. ``specs`` replaces platforms' specs
    by name with those of the account's own server (a Mastodon server's limits, read by
    ``campaign accounts check``); the others use their defaults. Raises :class:`InvalidCampaign`
    with every problem found in any file; then no post is returned at all, so callers can
    never act on half a plan. What is worth a look but plans fine (an announcement whose
    ``where:`` matches no event) is added to ``warnings`` when it is given.
    """
    files = campaign_files(paths)
    if not files:
        raise InvalidCampaign.one(
            ", ".join(map(str, paths)) or ".",
            None,
            "",
            "no campaign files found",
            "name a campaign file, e.g. schedules/darkweb-2017.yaml",
        )
    with _collector_paused():
        budget = Budget()
        plans = collect(
            files,
            lambda path: plan_campaign(
                load_campaign(path),
                allow_outside=allow_outside,
                budget=budget,
                specs=specs,
                warnings=warnings,
            ),
        )
        posts = [post for plan in plans for post in plan]
        _check_unique_ids(posts)
        return sorted(posts, key=attrgetter("scheduled_at", "platform", "event", "thread"))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while planning, if it runs.

    A plan makes tens of thousands of objects (records, posts) that all stay alive, so the
    collector keeps rescanning them: a fifth of the time of a 1,000-event preview, to find
    about 70 objects in cycles (a compiled template's globals). It runs again afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def plan_campaign(
    campaign: Campaign,
    *,
    allow_outside: bool = False,
    budget: Budget | None = None,
    specs: Mapping[str, PlatformSpec] | None = None,
    warnings: list[Problem] | None = None,
) -> list[Post]:
    """Every post of one loaded campaign; raises :class:`InvalidCampaign` listing problems.

    ``allow_outside``, ``budget``, ``specs`` and ``warnings`` are as for :func:`plan_files`.
    """
    planner = _CampaignPlanner(campaign, allow_outside, budget, specs or {})
    posts: list[Post] = []
    problems: list[Problem] = []
    unmatched = {where.index: where for where in planner.announcements if where.announcement.where}
    for record in campaign.records:
        for where in planner.announcements:
            if where.announcement.where and not where.announcement.applies_to(record):
                continue
            unmatched.pop(where.index, None)
            try:
                posts.extend(planner.posts_for(record, where))
            except InvalidCampaign as exc:
                problems.extend(exc.problems)
    if problems:
        raise InvalidCampaign(dedupe(problems))
    check_rules(campaign, posts)
    if warnings is not None:
        warnings.extend(_matches_nothing(where) for where in unmatched.values())
    return posts


def _matches_nothing(where: _Context) -> Problem:
    """The warning for an announcement whose ``where:`` matches none of the events."""
    return where.problem(
        f"announcement {where.key!r} matches no event, so it makes no posts",
        "check the field names and values under `where:` against the events",
        ("where",),
    ).problems[0]


@dataclass(frozen=True)
class _Context:
    """Where one announcement's posts come from, for messages; ``source`` is its file:line."""

    campaign: Campaign
    index: int
    announcement: AnnouncementSpec
    source: str
    key: str

    def problem(
        self, message: str, hint: str = "", loc: tuple[str | int, ...] = ()
    ) -> InvalidCampaign:
        """An error at this announcement (or the field at ``loc`` inside it)."""
        full: tuple[str | int, ...] = ("announcements", self.index, *loc)
        return InvalidCampaign.one(
            self.campaign.path,
            self.campaign.line(*full),
            field_path(full),
            message,
            hint,
        )


class _CampaignPlanner:
    """Renders the announcements of one campaign, caching what is shared between events."""

    def __init__(
        self,
        campaign: Campaign,
        allow_outside: bool,
        budget: Budget | None,
        specs: Mapping[str, PlatformSpec],
    ) -> None:
        spec = campaign.spec
        self.campaign = campaign
        self.specs = specs
        self.announcements = [
            _Context(campaign, index, announcement, _source(campaign, index), announcement.name)
            for index, announcement in enumerate(spec.announcements)
        ]
        self.zone = ZoneInfo(spec.timezone)
        self.renderer = Renderer(templates_folder(campaign, allow_outside), budget)
        self.policy = LinkPolicy(
            site=spec.site,
            track_domains=tuple(spec.links.track_domains),
            utm=dict(spec.links.utm),
            shorten=spec.links.shorten,
            base=spec.links.base,
        )
        # The template variables every post of the campaign shares.
        self.shared_view: dict[str, Any] = {
            "campaign": {
                "slug": spec.campaign,
                "site": spec.site,
                "timezone": spec.timezone,
                "vars": spec.vars,
            },
            "vars": spec.vars,
            "site": spec.site,
        }
        self._media: dict[int, tuple[Image, ...]] = {}
        self._images_checked: set[tuple[int, str]] = set()
        self._taggers: dict[tuple[int, str], LinkTagger] = {}
        # The event being planned, and its times and view in each language, by language.
        self._event_of: EventRecord | None = None
        self._event_views: dict[str | None, tuple[datetime, datetime, dict[str, Any]]] = {}
        # Events often share dates and times: each is resolved in its zone once.
        self._wall_clock: dict[tuple[datetime, str], datetime] = {}
        self._times: dict[tuple[str, datetime, datetime], tuple[timespec.Resolved, datetime]] = {}

    def posts_for(self, record: EventRecord, where: _Context) -> Iterator[Post]:
        """The posts of one announcement for one event, one per language, platform and
        thread part."""
        announcement = where.announcement
        media = self._media_for(where)
        for language in self._languages(where):
            localized = record if language is None else record.in_language(language)
            starts, ends, event_view = self._event(record, language)
            when, local = self._when(announcement.at, starts, ends)
            for name in announcement.platforms or self.campaign.spec.platforms:
                spec = platform_spec(name)
                spec = self.specs.get(spec.name, spec)
                if media:
                    self._check_images(where, spec, media)
                parts = self._render(where, localized, spec, event_view, local, language)
                yield from self._posts(where, localized, spec, parts, when, media, language)

    def _languages(self, where: _Context) -> Sequence[str | None]:
        """The languages an announcement posts in; ``[None]`` for a campaign without any."""
        return where.announcement.languages or self.campaign.spec.all_languages or [None]

    def _when(
        self, at: str, starts: datetime, ends: datetime
    ) -> tuple[timespec.Resolved, datetime]:
        """``at`` for an event (``starts``, ``ends`` in UTC), and as a local time in the zone."""
        key = (at, starts, ends)
        known = self._times.get(key)
        if known is None:
            when = timespec.resolve(at, self.zone, starts, ends)
            known = self._times[key] = (when, when.utc.astimezone(self.zone))
        return known

    def _render(
        self,
        where: _Context,
        record: EventRecord,
        spec: PlatformSpec,
        event_view: dict[str, Any],
        local: datetime,
        language: str | None,
    ) -> list[str]:
        announcement = where.announcement
        context = {
            **self.shared_view,
            "event": event_view,
            "platform": spec.name,
            "announcement": where.key,
            "when": local,
            "language": language,
        }
        try:
            parts = self.renderer.render(
                announcement.template,
                spec.name,
                context,
                record,
                self._tagger(where, spec).tag_url,
                language,
            )
        except RenderFailure as failure:
            raise InvalidCampaign([failure.located(where.problem)]) from None
        if not spec.threads and len(parts) > 1:
            parts = ["\n\n".join(parts)]
        return parts

    def _tagger(self, where: _Context, spec: PlatformSpec) -> LinkTagger:
        """Link tagging for one announcement on one platform, remembering each link."""
        tagger = self._taggers.get((where.index, spec.name))
        if tagger is None:
            tagger = self._taggers[(where.index, spec.name)] = LinkTagger(
                platform=spec.name,
                campaign=self.campaign.spec.campaign,
                content=where.key,
                policy=self.policy,
            )
        return tagger

    def _posts(
        self,
        where: _Context,
        record: EventRecord,
        spec: PlatformSpec,
        parts: list[str],
        when: timespec.Resolved,
        media: tuple[Image, ...],
        language: str | None,
    ) -> Iterator[Post]:
        slug = self.campaign.spec.campaign
        zone = self.campaign.spec.timezone
        key = where.key
        name, limit, count = spec.name, spec.limit, spec.count
        tagger = self._tagger(where, spec)
        # The campaign's main language keeps the ids its posts had before it had languages.
        main = self.campaign.spec.all_languages[:1]
        id_language = None if language is None or (language,) == main else language
        for position, raw in enumerate(parts, start=1):
            ident = post_id(slug, record.id, key, name, position, id_language)
            text, tracked, urls = tagger.tag(raw, ident)
            length = count(text, urls)
            if length > limit:
                part = f" (part {position} of {len(parts)})" if len(parts) > 1 else ""
                part += f" in {language!r}" if language else ""
                template = where.announcement.template
                folder = f"{language}/{spec.name}" if language else spec.name
                raise where.problem(
                    f"the {spec.name} post for event {record.id!r}{part} is {length} "
                    f"{spec.unit}, {length - limit} over {_whose_limit(spec)}",
                    f"shorten the template {self.renderer.file_of(template, spec.name, language)}"
                    f" or add a shorter one as templates/{folder}/"
                    f"{template.removesuffix('.j2')}.j2",
                    ("template",),
                )
            yield Post.planned(
                id=ident,
                campaign=slug,
                event=record.id,
                announcement=key,
                platform=name,
                scheduled_at=when.utc,
                timezone=zone,
                text=text,
                length=length,
                limit=limit,
                thread=position,
                thread_size=len(parts),
                links=tuple([link.final for link in tracked]) if tracked else (),
                media=media if position == 1 else (),
                source=where.source,
                time_note=when.note,
                event_title=record.title,
                language=language,
                id_language=id_language,
                extra={"tracked_links": tracked},
                limit_from=spec.limits_from,
            )

    def _event(
        self, record: EventRecord, language: str | None
    ) -> tuple[datetime, datetime, dict[str, Any]]:
        """The event's start and end in UTC and its template view in ``language``, computed
        once per event and language."""
        if self._event_of is not record:
            self._event_of = record
            self._event_views.clear()
        known = self._event_views.get(language)
        if known is None:
            localized = record.in_language(language)
            zone = localized.zone
            starts = self._utc(localized.starts, zone)
            ends = self._utc(localized.ends, zone)
            view = _event_view(localized, zone, starts, ends)
            known = self._event_views[language] = (starts, ends, view)
        return known

    def _utc(self, naive: datetime, zone: ZoneInfo) -> datetime:
        """The UTC instant of the local time ``naive`` in ``zone`` (see timespec.wall_clock)."""
        key = (naive, zone.key)
        utc = self._wall_clock.get(key)
        if utc is None:
            utc = self._wall_clock[key] = timespec.wall_clock(naive, zone).utc
        return utc

    def _check_images(self, where: _Context, spec: PlatformSpec, media: tuple[Image, ...]) -> None:
        """Refuse now, not when the post is due, images the platform will not take."""
        if (where.index, spec.name) in self._images_checked:
            return
        try:
            spec.check_images(media)
        except PermanentError as exc:
            raise where.problem(
                str(exc),
                "use another image, or leave this platform out with the announcement's "
                "`platforms:`",
                ("media",),
            ) from None
        self._images_checked.add((where.index, spec.name))

    def _media_for(self, where: _Context) -> tuple[Image, ...]:
        if where.index not in self._media:
            items = []
            for number, item in enumerate(where.announcement.media):
                path = self.campaign.path.parent / item.path
                try:
                    items.append(load_media(path, item.alt))
                except MediaProblem as exc:
                    raise where.problem(str(exc), loc=("media", number, "path")) from None
            self._media[where.index] = tuple(items)
        return self._media[where.index]


def _whose_limit(spec: PlatformSpec) -> str:
    """``Bluesky's limit of 300``; for a server's own limits, which server's, or that they
    are the platform's defaults and how to read the server's."""
    if spec.limits_from == "default":
        return (
            f"{spec.title}'s default limit of {spec.limit} (your server's own limit is not "
            f"known: run `campaign accounts check {spec.name}` to read it)"
        )
    if spec.limits_from:
        return f"the limit of {spec.limit} on {spec.limits_from}"
    return f"{spec.title}'s limit of {spec.limit}"


def _source(campaign: Campaign, index: int) -> str:
    """``file:line`` of announcement ``index`` (just the file when the line is unknown)."""
    line = campaign.line("announcements", index)
    return f"{campaign.path}:{line}" if line else str(campaign.path)


def _event_view(
    record: EventRecord, zone: ZoneInfo, starts: datetime, ends: datetime
) -> dict[str, Any]:
    """The record as templates see it: every field, with times in the event's ``zone``.

    A place an online event leaves out is not in the view, so a template that prints it
    fails as for any missing field, and ``event.venue is defined`` tells.
    """
    view = record.model_dump()
    for name in ("venue", "city"):
        if view[name] is None:
            del view[name]
    view["starts"] = starts.astimezone(zone)
    view["ends"] = ends.astimezone(zone)
    return view


def _check_unique_ids(posts: list[Post]) -> None:
    seen: dict[str, Post] = {}
    for post in posts:
        other = seen.setdefault(post.id, post)
        if other is not post:
            raise InvalidCampaign.one(
                post.source,
                None,
                "campaign",
                f"campaign {post.campaign!r} is planned twice (also in {other.source})",
                "give each campaign file its own `campaign:` slug",
            )
