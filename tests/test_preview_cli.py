"""``campaign preview`` for review on a screen: --compact, the filters, and links that stay
whole, clickable, shown once, short links with where they lead."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.cli.preview_view import render_preview
from campaign.render.planner import plan_files
from tests.planfiles import EVENT, campaign_data, write_project

LONG_URL = "https://www.media4sec.eu/events/dark-web-workshop/" + "a-very-long-path/" * 3
TEMPLATE = "Join {{ event.title }} on {{ when.strftime('%d %B') }}: {{ event.url }} #{{ event.id }}"
SECRET = "a-test-secret-that-is-long-enough"


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    """Two events a week apart on X and Mastodon, each post carrying one long site link."""
    later = {**EVENT, "id": "later", "starts": "2017-10-03 09:00", "ends": "2017-10-03 17:00"}
    events = tmp_path / "events.yaml"
    events.write_text(yaml.safe_dump([{**EVENT, "url": LONG_URL}, {**later, "url": LONG_URL}]))
    data = campaign_data(platforms=["x", "mastodon"], events=str(events))
    data.pop("event")
    return write_project(tmp_path, data, {"hello.j2": TEMPLATE})


def preview(*args: str, columns: int = 80) -> Result:
    result = CliRunner().invoke(app, ["preview", *args], env={"COLUMNS": str(columns)})
    return result


def shown_events(result: Result) -> list[tuple[str, str]]:
    assert result.exit_code == 0, result.output
    return [(post["event"], post["platform"]) for post in json.loads(result.stdout)]


def test_compact_shows_one_line_per_post_within_the_screen(campaign: Path) -> None:
    result = preview(str(campaign), "--compact")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "2017" in line]
    assert len(lines) == len(plan_files([campaign])) == 4
    assert max(map(len, result.stdout.splitlines())) <= 80
    assert all("/280" in line or "/500" in line for line in lines)
    wide = preview(str(campaign), "--compact", columns=160).stdout
    assert "Mon 2017-09-25 10:00   mastodon   hello          dark-web-2017   78/500" in wide
    assert "Join Dark Web workshop on 25 September:" in wide


def test_compact_has_a_language_column_when_posts_have_languages(campaign: Path) -> None:
    """The example posts some announcements in Greek too: each line says its language; a
    campaign without languages has no such column."""
    example = Path(__file__).parent.parent / "schedules" / "darkweb-2017.yaml"
    wide = preview(str(example), "--compact", "-p", "mastodon", columns=160).stdout
    lines = [line.split() for line in wide.splitlines() if " mastodon " in line]
    assert "Lang" in wide.split("\n", 2)[1]
    assert {line[4] for line in lines} == {"en", "el"}
    without = preview(str(campaign), "--compact", columns=160).stdout
    assert "Lang" not in without


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--event", "later"], [("later", "mastodon"), ("later", "twitter")]),
        (
            ["-p", "x", "-p", "mastodon", "-e", "later"],
            [("later", "mastodon"), ("later", "twitter")],
        ),
        (["--platform", "x"], [("dark-web-2017", "twitter"), ("later", "twitter")]),
        (["--from", "2017-10-02"], [("later", "mastodon"), ("later", "twitter")]),
        (["--to", "2017-09-25"], [("dark-web-2017", "mastodon"), ("dark-web-2017", "twitter")]),
        (["--from", "2017-09-26", "--to", "2017-10-01"], []),
    ],
    ids=["event", "platforms-and-event", "x-is-twitter", "from", "to-includes-the-day", "none"],
)
def test_filters_choose_posts(
    campaign: Path, args: list[str], expected: list[tuple[str, str]]
) -> None:
    assert shown_events(preview(str(campaign), "--json", *args)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event", "nope"], "no post is planned for event 'nope'; events: dark-web-2017, later"),
        (["--from", "26/09/2017"], "Invalid value for '--from'"),
    ],
)
def test_bad_filters_are_usage_errors(campaign: Path, args: list[str], message: str) -> None:
    result = preview(str(campaign), *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()).replace("│", "").replace("  ", " ")


@pytest.mark.parametrize("columns", [30, 80])
def test_links_are_never_broken_and_shown_once(campaign: Path, columns: int) -> None:
    result = preview(str(campaign), "-e", "later", "-p", "x", columns=columns)
    assert result.exit_code == 0, result.output
    (post,) = [p for p in plan_files([campaign]) if p.event == "later" and p.platform == "twitter"]
    (url,) = post.links
    assert sum(url in line for line in result.stdout.splitlines()) == 1
    assert "\x1b" not in result.stdout  # not a terminal: no OSC 8, no colour


def test_links_are_clickable_on_a_terminal(campaign: Path) -> None:
    posts = [p for p in plan_files([campaign]) if p.platform == "twitter"]
    console = Console(file=io.StringIO(), width=60, force_terminal=True)
    render_preview(console, posts)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    for post in posts:
        assert f";{post.links[0]}\x1b\\{post.links[0]}\x1b]8;;\x1b\\" in shown


def test_short_links_show_where_they_lead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_LINKS_SECRET", SECRET)
    data = campaign_data(links={"shorten": True, "base": "https://go.example.org"})
    path = write_project(tmp_path, data)
    (post,) = plan_files([path])
    (tracked,) = post.extra["tracked_links"]
    lines = preview(str(path), columns=250).stdout.splitlines()
    assert f"  short link: {tracked.short} → {tracked.tagged}" in lines
    narrow = preview(str(path), columns=40).stdout.splitlines()
    assert sum(tracked.tagged in line for line in narrow) == 1
    assert sum(tracked.short in line for line in narrow) == 2  # in the text, and leading there
