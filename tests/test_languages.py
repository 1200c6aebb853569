"""Campaigns in several languages: templates, per-language event fields, dates, post ids."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.errors import InvalidCampaign
from campaign.render.dates import babel_pattern
from campaign.render.environment import make_environment
from campaign.render.planner import plan_files
from campaign.render.post import Post
from tests.planfiles import EVENT, campaign_data, csv_events, write_project

THREE = ["en", "nl", "el"]
DATE = {"hello.j2": "{{ event.starts | date }}"}
DAY, TUESDAY = "26 Σεπτεμβρίου 2017", "Τρίτη 26 Σεπτεμβρίου"


def texts(posts: list[Post]) -> dict[str | None, str]:
    """Each post's text by its language (one post per language)."""
    return {post.language: post.text for post in posts}


def plan(tmp_path: Path, templates: dict[str, str] | None = None, **overrides: Any) -> list[Post]:
    return plan_files([write_project(tmp_path, campaign_data(**overrides), templates)])


def test_each_language_gets_its_own_post_with_its_own_date(tmp_path: Path) -> None:
    posts = plan(tmp_path, DATE, languages=THREE)
    assert texts(posts) == {
        "en": "26 September 2017",
        "nl": "26 september 2017",
        "el": "26 Σεπτεμβρίου 2017",
    }


def test_a_campaign_without_languages_is_planned_as_before(tmp_path: Path) -> None:
    [post] = plan(tmp_path, DATE)
    assert post.language is None
    assert post.text == "26 September 2017"
    assert post.to_json()["language"] is None


def test_the_main_language_keeps_the_ids_the_campaign_had_without_languages(
    tmp_path: Path,
) -> None:
    [alone] = plan(tmp_path / "a")
    posts = plan(tmp_path / "b", languages=THREE)
    ids = {post.language: post.id for post in posts}
    assert ids["en"] == alone.id
    assert len(set(ids.values())) == 3
    assert plan(tmp_path / "c", languages=["en", "el"])[1].id == ids["el"]


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"el/twitter/hello.j2", "el/hello.j2", "twitter/hello.j2", "hello.j2"}, "el/twitter"),
        ({"el/hello.j2", "twitter/hello.j2", "hello.j2"}, "el"),
        ({"twitter/hello.j2", "hello.j2"}, "twitter"),
        ({"hello.j2"}, "plain"),
    ],
)
def test_templates_are_looked_up_by_language_then_platform(
    tmp_path: Path, present: set[str], expected: str
) -> None:
    names = {"el/twitter/hello.j2": "el/twitter", "el/hello.j2": "el"}
    names |= {"twitter/hello.j2": "twitter", "hello.j2": "plain"}
    templates = {name: text for name, text in names.items() if name in present}
    posts = plan(tmp_path, templates, languages=["en", "el"])
    assert texts(posts)["el"] == expected
    assert texts(posts)["en"] == ("twitter" if "twitter/hello.j2" in present else "plain")


def test_an_announcement_may_limit_its_languages(tmp_path: Path) -> None:
    announcements = [
        {"template": "hello", "at": "-1d 10:00", "languages": ["el"], "platforms": ["mastodon"]},
        {"template": "hello", "at": "-2d 10:00", "key": "early"},
    ]
    posts = plan(tmp_path, languages=THREE, announcements=announcements)
    assert sorted((p.announcement, p.language, p.platform) for p in posts) == [
        ("early", "el", "twitter"),
        ("early", "en", "twitter"),
        ("early", "nl", "twitter"),
        ("hello", "el", "mastodon"),
    ]


def test_variants_of_one_announcement_in_different_languages_share_its_key(
    tmp_path: Path,
) -> None:
    announcements = [
        {"template": "hello", "at": "-1d 10:00", "languages": ["en"]},
        {"template": "hello", "at": "-1d 12:00", "languages": ["el"]},
    ]
    posts = plan(tmp_path, languages=["en", "el"], announcements=announcements)
    assert {(p.announcement, p.language, p.local_time.hour) for p in posts} == {
        ("hello", "en", 10),
        ("hello", "el", 12),
    }


def test_event_fields_may_be_given_per_language(tmp_path: Path) -> None:
    event = {**EVENT, "title": {"en": "Dark Web", "el": "Σκοτεινός Ιστός"}}
    event["quote"] = {"text": {"en": "Act now", "el": "Δράστε τώρα"}, "by": "M. Walter"}
    template = {"hello.j2": "{{ event.title }}: {{ event.quote.text }} ({{ event.quote.by }})"}
    posts = plan(tmp_path, template, languages=["en", "el"], event=event)
    assert texts(posts) == {
        "en": "Dark Web: Act now (M. Walter)",
        "el": "Σκοτεινός Ιστός: Δράστε τώρα (M. Walter)",
    }
    assert {post.event_title for post in posts} == {"Dark Web", "Σκοτεινός Ιστός"}


def test_a_missing_translation_names_the_event_field_and_language(tmp_path: Path) -> None:
    event = {**EVENT, "title": {"en": "Dark Web", "nl": "Dark Web"}}
    with pytest.raises(InvalidCampaign) as caught:
        plan(tmp_path, languages=THREE, event=event)
    [problem] = caught.value.problems
    assert problem.field == "event.title"
    assert problem.line is not None
    assert "event 'dark-web-2017' has no 'el' translation of `title`" in problem.message
    assert "add `el: …` under `title:`" in problem.hint


def test_a_missing_translation_in_a_csv_names_its_row_and_column(tmp_path: Path) -> None:
    row = {"title.en": "Dark Web", "title.el": ""}
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "events.csv").write_text(
        csv_events(row, extra=("title.en", "title.el")).replace("title,", "x_title,", 1)
    )
    with pytest.raises(InvalidCampaign) as caught:
        plan(tmp_path, languages=["en", "el"], event=None, events="events.csv")
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (2, "title.el")
    assert "no 'el' translation of `title`" in problem.message
    assert "fill in the column `title.el`" in problem.hint


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"languages": ["en", "klingon"]}, "languages", "'klingon' is not a language tag"),
        ({"languages": ["en", "en"]}, "languages", "a language is listed twice"),
        (
            {"announcements": [{"template": "hello", "at": "-1d", "languages": ["nl"]}]},
            "announcements[0].languages",
            "'nl' is not one of the campaign's `languages:` (en, el)",
        ),
    ],
    ids=["unknown-tag", "twice", "not-the-campaigns"],
)
def test_bad_languages_are_refused_at_their_line(
    tmp_path: Path, overrides: dict[str, Any], field: str, message: str
) -> None:
    overrides = {"languages": ["en", "el"], **overrides}
    with pytest.raises(InvalidCampaign) as caught:
        plan(tmp_path, **overrides)
    [problem] = caught.value.problems
    assert problem.field == field
    assert message in problem.message
    assert problem.line is not None


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ event.starts | date("full") }}', ["Tuesday, September 26, 2017", f"Τρίτη {DAY}"]),
        ('{{ event.starts | date("short") }}', ["9/26/17", "26/9/17"]),
        ('{{ event.starts | date("EEEE d MMMM") }}', ["Tuesday 26 September", TUESDAY]),
        ('{{ event.starts | date("%A %-d %B") }}', ["Tuesday 26 September", TUESDAY]),
        ("{{ event.starts | time }}", ["09:00", "09:00"]),
        ('{{ event.starts | time("short") }}', ["9:00\u202fAM", "9:00\u202fπ.μ."]),
    ],
    ids=["full", "short", "pattern", "strftime", "time", "time-short"],
)  # fmt: skip
def test_dates_take_babel_names_and_patterns_in_the_posts_language(
    tmp_path: Path, template: str, expected: list[str]
) -> None:
    posts = plan(tmp_path, {"hello.j2": template}, languages=["en", "el"])
    assert [texts(posts)["en"], texts(posts)["el"]] == expected


def test_a_campaign_without_languages_keeps_strftime_and_also_takes_babel_patterns(
    tmp_path: Path,
) -> None:
    template = '{{ event.starts | date("%a %d %b") }}|{{ event.starts | date("long") }}'
    [post] = plan(tmp_path, {"hello.j2": template})
    assert post.text == "Tue 26 Sep|September 26, 2017"


def test_strftime_formats_translate_to_babel_patterns() -> None:
    assert babel_pattern("%A %-d %B %Y, %H:%M") == "EEEE d MMMM y, HH:mm"
    assert babel_pattern("%d/%m at %I%p %%") == "dd/MM' at 'hha %"
    with pytest.raises(ValueError, match="%j has no Babel equivalent"):
        babel_pattern("day %j")


@pytest.mark.parametrize("fmt", ["%j", "d MMMM at HH:mm"])
def test_a_bad_date_format_fails_at_the_template_line(tmp_path: Path, fmt: str) -> None:
    template = "\n{{ event.starts | date('" + fmt + "') }}"
    with pytest.raises(InvalidCampaign) as caught:
        plan(tmp_path, {"hello.j2": template}, languages=["el"])
    [problem] = caught.value.problems
    assert problem.line == 2
    assert "Babel pattern such as 'd MMMM y'" in problem.hint + problem.message


def test_dates_in_two_languages_of_one_environment_do_not_mix(tmp_path: Path) -> None:
    env = make_environment(tmp_path)
    template = env.from_string("{{ t | date('EEEE') }}")
    when = datetime(2017, 9, 26, 9, tzinfo=ZoneInfo("Europe/Amsterdam"))
    printed = [template.render(t=when, language=lang) for lang in ("nl", "el", "nl", None)]
    assert printed == ["dinsdag", "Τρίτη", "dinsdag", "Tuesday"]


def test_preview_json_gives_each_posts_language(tmp_path: Path) -> None:
    path = write_project(tmp_path, campaign_data(languages=["en", "el"]))
    result = CliRunner().invoke(app, ["preview", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(post["language"] for post in json.loads(result.stdout)) == ["el", "en"]
