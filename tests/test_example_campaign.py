"""The Medi@4sec Dark Web workshop campaign shipped in schedules/ validates and previews."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from typer.testing import CliRunner

from campaign.cli import app
from campaign.render.planner import plan_files
from campaign.render.post import Post

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "schedules" / "darkweb-2017.yaml"
runner = CliRunner()


def test_example_validates() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "every post renders and fits" in result.output


def test_example_reaches_all_four_platforms_with_every_announcement() -> None:
    posts = plan_files([EXAMPLE])
    announcements = {"save_the_date", "reminder", "live", "thank_you", "reports_online"}
    for platform in ("twitter", "linkedin", "mastodon", "bluesky"):
        assert {p.announcement for p in posts if p.platform == platform} == announcements
    assert all(post.length <= post.limit for post in posts)


def test_thank_you_is_a_thread_on_x_and_one_post_on_linkedin() -> None:
    posts = plan_files([EXAMPLE])
    x_thread = [p for p in posts if p.platform == "twitter" and p.announcement == "thank_you"]
    assert [p.thread for p in x_thread] == [1, 2, 3]
    assert x_thread[1].previous_id == x_thread[0].id
    assert "70 participants" in x_thread[0].text
    assert "9/10" in x_thread[0].text
    linkedin = [p for p in posts if p.platform == "linkedin" and p.announcement == "thank_you"]
    assert len(linkedin) == 1
    assert "grant agreement No 700281" in linkedin[0].text


def test_reports_online_carries_the_eu_funding_acknowledgement() -> None:
    posts = [p for p in plan_files([EXAMPLE]) if p.announcement == "reports_online"]
    assert posts
    assert all("700281" in p.text for p in posts)


def test_preview_json_has_the_documented_fields_and_stable_ids() -> None:
    first = runner.invoke(app, ["preview", str(EXAMPLE), "--json"])
    second = runner.invoke(app, ["preview", str(EXAMPLE), "--json"])
    assert first.exit_code == 0, first.output
    posts = json.loads(first.stdout)
    assert [p["id"] for p in posts] == [p["id"] for p in json.loads(second.stdout)]
    required = {
        "id",
        "campaign",
        "event",
        "announcement",
        "platform",
        "scheduled_at",
        "local_time",
        "text",
        "length",
        "limit",
        "thread",
        "links",
    }
    assert all(required <= post.keys() for post in posts)
    assert posts == sorted(posts, key=lambda p: p["scheduled_at"])
    live = next(p for p in posts if p["announcement"] == "live" and p["platform"] == "twitter")
    assert live["scheduled_at"] == "2017-09-26T07:30:00+00:00"
    assert live["local_time"] == "2017-09-26T09:30:00+02:00"
    assert live["limit"] == 280


def test_preview_for_people_shows_time_platform_length_and_past() -> None:
    result = runner.invoke(
        app, ["preview", str(EXAMPLE), "--platform", "twitter"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Tue 26 Sep 2017 09:30 CEST (07:30 UTC)" in result.output
    assert "/280 weighted characters" in result.output
    assert "thread 2/3" in result.output
    assert "past" in result.output
    assert "Nothing was sent." in result.output
    assert "LinkedIn" not in result.output


def test_every_site_link_is_utm_tagged_for_its_platform() -> None:
    for post in plan_files([EXAMPLE]):
        for link in post.links:
            assert f"utm_source={post.platform}" in link
            assert f"utm_content={post.announcement}" in link
            assert link in post.text


def test_planned_posts_are_the_posts_their_fields_make() -> None:
    """The planner's quick ``Post.planned`` sets every field as ``Post(...)`` does."""
    for post in plan_files([EXAMPLE]):
        rebuilt = Post(**{field.name: getattr(post, field.name) for field in fields(Post)})
        assert rebuilt == post
        assert vars(rebuilt) == vars(post)


def test_x_is_another_name_for_twitter_in_files_and_on_the_command_line(tmp_path: Path) -> None:
    from tests.planfiles import campaign_data, write_project

    campaign = write_project(tmp_path, campaign_data(platforms=["x", "mastodon"]))
    result = CliRunner().invoke(app, ["preview", str(campaign), "--platform", "x", "--json"])
    assert result.exit_code == 0, result.output
    assert [post["platform"] for post in json.loads(result.stdout)] == ["twitter"]


def test_every_x_post_or_thread_acknowledges_the_eu_grant() -> None:
    """The example's ``require: funding_statement`` holds: planning would refuse it otherwise,
    and each thread carries the grant in one of its parts."""
    posts = plan_files([EXAMPLE])
    threads: dict[str, list[Post]] = {}
    for post in posts:
        threads.setdefault(post.root_id, []).append(post)
    assert all(any("700281" in part.text for part in parts) for parts in threads.values())


def test_preview_shows_the_estimated_cost_on_x() -> None:
    result = runner.invoke(app, ["preview", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Estimated cost on X: $0.850" in " ".join(result.stdout.split())


def test_bluesky_posts_preview_with_display_links_to_the_tracked_pages() -> None:
    result = runner.invoke(app, ["preview", str(EXAMPLE), "--json", "--platform", "bluesky"])
    posts = [post for post in json.loads(result.stdout) if post["links"]]
    assert len(posts) >= 3
    for post in posts:
        assert "www.media4sec.eu/" in post["display_text"]
        assert "…" in post["display_text"]
        assert "utm_" not in post["display_text"]
        assert post["length"] < len(post["text"])  # counted on the display text
        assert all("utm_source=bluesky" in link for link in post["links"])
