"""Checks a campaign's planned posts against its ``require:`` rules (funding statement,
hashtags, a link to the site): the last step of planning, so ``validate``, ``preview`` and
``schedule`` all refuse a post that breaks one, like any other error in the files.

A rule is kept by a post, or by a thread when at least one of its parts keeps it. A
funding statement is also kept by an image marked ``emblem: true`` (the EU emblem). One
problem is reported per announcement, platform and rule, naming the events it fails for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

from campaign.errors import InvalidCampaign, Problem
from campaign.records.campaign_file import Campaign
from campaign.render.post import Post

SEARCH_SECONDS = 1.0
"""How long one search for the funding statement may take before the pattern is refused."""

_SHOWN_EVENTS = 3


@dataclass(frozen=True)
class _Thread:
    """The parts of one post or thread, with the index of the announcement that made it."""

    index: int
    parts: tuple[Post, ...]

    @property
    def some(self) -> Post:
        """A part that names the thread in messages (its event and platform)."""
        return self.parts[0]


@dataclass(frozen=True)
class _Rule:
    """One rule: its name under ``require:``, whether a thread keeps it, and the fix."""

    name: str
    kept: Callable[[_Thread], bool]
    breach: str
    hint: str


def check_rules(campaign: Campaign, posts: Sequence[Post]) -> None:
    """Raise :class:`InvalidCampaign` naming every post or thread of ``campaign`` that breaks
    one of its ``require:`` rules (file, line, announcement, platform, events, rule)."""
    rules = _rules(campaign)
    if not rules:
        return
    failing: dict[tuple[int, str, str, str | None], list[str]] = {}
    for thread in _threads(campaign, posts):
        for rule in rules:
            if not rule.kept(thread):
                some = thread.some
                key = (thread.index, some.platform, rule.name, some.language)
                failing.setdefault(key, []).append(some.event)
    if failing:
        by_name = {rule.name: rule for rule in rules}
        raise InvalidCampaign(
            [_problem(campaign, *key, events, by_name[key[2]]) for key, events in failing.items()]
        )


def _rules(campaign: Campaign) -> list[_Rule]:
    """The rules the campaign file asks for (alt text is checked with the images)."""
    spec = campaign.spec.require
    rules: list[_Rule] = []
    funding = spec.funding_statement
    if funding is not None:
        pattern = funding.pattern
        emblems = {
            index
            for index, announcement in enumerate(campaign.spec.announcements)
            if any(item.emblem for item in announcement.media)
        }
        rules.append(
            _Rule(
                "funding_statement",
                lambda thread: (
                    thread.index in emblems
                    or any(_found(campaign, pattern, part.text) for part in thread.parts)
                ),
                f"does not contain the funding statement ({funding.wording})",
                "add it to the template (e.g. `{{ vars.funding }}`), or attach the EU emblem "
                "as an image marked `emblem: true`",
            )
        )
    if spec.hashtags:
        tags = regex.compile(
            r"(?<!\w)#(?:" + "|".join(map(regex.escape, spec.hashtags)) + r")(?!\w)",
            regex.IGNORECASE,
        )
        rules.append(
            _Rule(
                "hashtags",
                lambda thread: any(tags.search(part.text) for part in thread.parts),
                f"has none of the hashtags {', '.join('#' + tag for tag in spec.hashtags)}",
                "add one to the template, e.g. `{{ event.hashtags | hashtags }}`",
            )
        )
    if spec.link_to_site:
        rules.append(
            _Rule(
                "link_to_site",
                lambda thread: any(part.extra.get("tracked_links") for part in thread.parts),
                f"has no link to the campaign's site {campaign.spec.site}",
                "add one to the template, e.g. `{{ event.url }}` or `{{ campaign.site }}`",
            )
        )
    return rules


def _found(campaign: Campaign, pattern: regex.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` occurs in ``text``; a pattern too slow to search is refused."""
    try:
        return pattern.search(text, timeout=SEARCH_SECONDS) is not None
    except TimeoutError:
        raise InvalidCampaign.one(
            campaign.path,
            campaign.line("require", "funding_statement"),
            "require.funding_statement.regex",
            f"the regular expression took over {SEARCH_SECONDS:g} s to search one post",
            "simplify it (a repeated group that matches the same text in several ways, such as "
            "(a|aa)+, is slow), or give plain `text:`",
        ) from None


def _threads(campaign: Campaign, posts: Sequence[Post]) -> list[_Thread]:
    """``posts`` grouped into threads (a single post is a thread of one); each language's
    post is a thread of its own, made by the announcement that lists its language."""
    parts: dict[tuple[str, str, str, str | None], list[Post]] = {}
    for post in posts:
        key = (post.event, post.announcement, post.platform, post.language)
        parts.setdefault(key, []).append(post)
    return [_Thread(_index(campaign, group[0]), tuple(group)) for group in parts.values()]


def _index(campaign: Campaign, post: Post) -> int:
    """The index of the announcement that made ``post`` (several may share a name, each in
    languages of its own)."""
    return next(
        index
        for index, announcement in enumerate(campaign.spec.announcements)
        if announcement.name == post.announcement
        and (not announcement.languages or post.language in announcement.languages)
    )


def _problem(
    campaign: Campaign,
    index: int,
    platform: str,
    name: str,
    language: str | None,
    events: list[str],
    rule: _Rule,
) -> Problem:
    """The problem of one announcement on one platform (in one language) breaking ``rule``
    for ``events``."""
    announcement = campaign.spec.announcements[index]
    shown = ", ".join(repr(event) for event in events[:_SHOWN_EVENTS])
    more = len(events) - _SHOWN_EVENTS
    if more > 0:
        shown += f" and {more} more"
    noun = "event" if len(events) == 1 else "events"
    in_language = f" in {language!r}" if language else ""
    return Problem(
        file=campaign.path,
        line=campaign.line("announcements", index),
        field=f"announcements[{index}]",
        message=f"rule require.{name}: the {platform} post{in_language} of announcement "
        f"{announcement.name!r} for {noun} {shown} {rule.breach}",
        hint=f"{rule.hint} (template {announcement.template})",
    )
