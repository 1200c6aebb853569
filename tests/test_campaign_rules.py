"""``require:`` rules in a campaign file: funding statement (text, regex, or the EU emblem),
hashtags, a link to the site and alt text, checked by validate, preview and schedule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.errors import InvalidCampaign
from campaign.render import rules
from campaign.render.planner import plan_files
from tests.fakes.x_fixtures import png_bytes
from tests.planfiles import campaign_data, write_project

runner = CliRunner()
FUNDING = "Funded by the EU's Horizon 2020 programme, grant agreement No 700281."
WITH_FUNDING = {"hello.j2": "Hello {{ event.title }} #DarkWeb\n" + FUNDING}
WITHOUT = {"hello.j2": "Hello {{ event.title }}"}


def _project(
    tmp_path: Path,
    require: dict[str, Any],
    templates: dict[str, str],
    **announcement: Any,
) -> Path:
    data = campaign_data(
        require=require,
        platforms=["twitter", "mastodon"],
        announcements=[{"template": "hello", "at": "-1d 10:00", **announcement}],
    )
    return write_project(tmp_path, data, templates)


def _problems(path: Path) -> list[str]:
    with pytest.raises(InvalidCampaign) as caught:
        plan_files([path])
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    "statement",
    [
        "grant agreement No 700281",
        "GRANT   agreement\nno 700281",  # any case, any white space between words
        "the EU’s Horizon 2020",  # a curly apostrophe matches a straight one
        {"regex": r"(Horizon 2020|H2020)\D{0,80}700281"},
    ],
    ids=["text", "text-any-case-and-spacing", "text-any-apostrophe", "regex"],
)
def test_posts_with_the_funding_statement_pass(tmp_path: Path, statement: Any) -> None:
    path = _project(tmp_path, {"funding_statement": statement}, WITH_FUNDING)
    assert len(plan_files([path])) == 2


@pytest.mark.parametrize("command", ["validate", "preview", "schedule"])
def test_a_post_without_the_statement_is_an_error_naming_post_and_rule(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "ledger.db"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{ledger}")
    path = _project(tmp_path, {"funding_statement": "grant agreement No 700281"}, WITHOUT)
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    line = path.read_text().splitlines().index("- template: hello") + 1
    for platform in ("twitter", "mastodon"):
        assert (
            f"{path}:{line}: announcements[0]: rule require.funding_statement: the {platform} post "
            "of announcement 'hello' for event 'dark-web-2017' does not contain the funding "
            "statement (grant agreement No 700281)"
        ) in output
    assert "emblem: true" in output
    assert "nothing was changed" in output
    assert not ledger.exists(), "nothing is queued"


def test_one_part_of_a_thread_keeps_the_rule_for_the_thread(tmp_path: Path) -> None:
    thread = {"hello.j2": "Part one\n---\nPart two: " + FUNDING + "\n---\nPart three"}
    path = _project(tmp_path, {"funding_statement": "No 700281"}, thread)
    assert [post.thread for post in plan_files([path]) if post.platform == "twitter"] == [1, 2, 3]


def test_an_image_marked_emblem_keeps_the_funding_rule(tmp_path: Path) -> None:
    media = [{"path": "emblem.png", "alt": "The flag of the European Union", "emblem": True}]
    path = _project(tmp_path, {"funding_statement": "No 700281"}, WITHOUT, media=media)
    (path.parent / "emblem.png").write_bytes(png_bytes())
    assert len(plan_files([path])) == 2


def test_an_image_not_marked_emblem_does_not(tmp_path: Path) -> None:
    media = [{"path": "banner.png", "alt": "The workshop's banner"}]
    path = _project(tmp_path, {"funding_statement": "No 700281"}, WITHOUT, media=media)
    (path.parent / "banner.png").write_bytes(png_bytes())
    assert len(_problems(path)) == 2


@pytest.mark.parametrize(
    ("require", "template", "broken"),
    [
        ({"hashtags": ["Media4sec", "#DarkWeb"]}, "Hi #darkweb!", None),
        ({"hashtags": ["Media4sec"]}, "Hi #Media4secret", "has none of the hashtags #Media4sec"),
        ({"link_to_site": True}, "See https://media4sec.eu/news/", None),
        (
            {"link_to_site": True},
            "See https://example.org/",
            "has no link to the campaign's site https://www.media4sec.eu/",
        ),
    ],
    ids=["hashtag-any-case", "hashtag-missing", "site-link", "other-site-link"],
)
def test_hashtag_and_site_rules(
    tmp_path: Path, require: dict[str, Any], template: str, broken: str | None
) -> None:
    path = _project(tmp_path, require, {"hello.j2": template})
    if broken is None:
        assert len(plan_files([path])) == 2
    else:
        problems = _problems(path)
        assert len(problems) == 2
        assert all(broken in problem for problem in problems)


def test_one_problem_per_announcement_and_platform_naming_the_events(tmp_path: Path) -> None:
    data = campaign_data(require={"hashtags": ["Nope"]}, event=None, events="events.csv")
    path = write_project(tmp_path, data, WITHOUT)
    rows = ["id,title,starts,ends,timezone,venue,city,organiser,url"] + [
        f"e{n},T,2017-09-26 09:00,2017-09-26 17:00,UTC,V,C,O,https://x.eu/" for n in range(5)
    ]
    (path.parent / "events.csv").write_text("\n".join(rows) + "\n")
    [problem] = _problems(path)
    assert "for events 'e0', 'e1', 'e2' and 2 more has none of the hashtags #Nope" in problem


@pytest.mark.parametrize(
    ("require", "field", "message"),
    [
        ({"funding_statement": {"regex": "(H2020"}}, "regex", "is not a valid regular expression"),
        ({"funding_statement": 42}, "funding_statement", "write its text in quotes"),
        ({"funding_statement": {"text": "a", "regex": "b"}}, "funding_statement", "exactly one"),
        ({"fundng_statement": "x"}, "fundng_statement", "did you mean `funding_statement`"),
        ({"hashtags": ["two words"]}, "hashtags", "'two words' is not a hashtag"),
        ({"alt_text": False}, "alt_text", "alt text cannot be turned off"),
        ({"link_to_site": "maybe"}, "link_to_site", "valid boolean"),
    ],
    ids=["bad-regex", "not-text", "text-and-regex", "typo", "bad-hashtag", "alt-off", "not-bool"],
)
def test_bad_require_input_names_file_line_and_field(
    tmp_path: Path, require: dict[str, Any], field: str, message: str
) -> None:
    path = _project(tmp_path, require, WITH_FUNDING)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert re.search(rf"{re.escape(str(path))}:\d+: require\.\S*{field}\S*: ", output), output
    assert message in output


def test_a_regex_too_slow_to_search_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules, "SEARCH_SECONDS", 0.01)
    require = {"funding_statement": {"regex": "(a|aa)+$"}}
    path = _project(tmp_path, require, {"hello.j2": "a" * 40 + "!"})
    [problem] = _problems(path)
    assert "require.funding_statement.regex: the regular expression took over" in problem
    assert "simplify it" in problem


def test_each_language_keeps_the_rule_on_its_own(tmp_path: Path) -> None:
    """A campaign in two languages: the English post keeping the rule does not cover the
    Dutch one; the error names the language and the Dutch variant's own line."""
    data = campaign_data(
        require={"funding_statement": "grant agreement No 700281"},
        platforms=["mastodon"],
        languages=["en", "nl"],
        announcements=[
            {"template": "hello", "at": "-1d 10:00", "languages": ["en"]},
            {"template": "hello", "at": "-1d 10:00", "languages": ["nl"]},
        ],
    )
    path = write_project(tmp_path, data, {**WITH_FUNDING, "nl/hello.j2": "Hallo"})
    problems = _problems(path)
    assert len(problems) == 1
    assert (
        "announcements[1]: rule require.funding_statement: the mastodon post in 'nl'"
        in (problems[0])
    )
