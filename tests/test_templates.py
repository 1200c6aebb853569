"""Templates: platform overrides, threads, helpers, and the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign.errors import InvalidCampaign
from campaign.render.planner import plan_files
from tests.planfiles import campaign_data, write_project


def test_a_platform_template_overrides_the_shared_one(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        campaign_data(platforms=["twitter", "mastodon"]),
        {"hello.j2": "shared {{ platform }}", "mastodon/hello.j2": "toot for {{ platform }}"},
    )
    texts = {p.platform: p.text for p in plan_files([path])}
    assert texts == {"twitter": "shared twitter", "mastodon": "toot for mastodon"}


def test_parts_separated_by_dashes_become_a_thread_with_stable_ids(tmp_path: Path) -> None:
    path = write_project(tmp_path, templates={"hello.j2": "one\n---\ntwo  \n\n---\nthree"})
    posts = plan_files([path])
    assert [(p.text, p.thread, p.thread_size) for p in posts] == [
        ("one", 1, 3),
        ("two", 2, 3),
        ("three", 3, 3),
    ]
    assert posts[2].previous_id == posts[1].id
    assert posts[1].previous_id == posts[0].id
    assert [p.id for p in plan_files([path])] == [p.id for p in posts]


def test_a_thread_is_one_post_where_the_platform_has_no_threads(tmp_path: Path) -> None:
    path = write_project(
        tmp_path, campaign_data(platforms=["linkedin"]), {"hello.j2": "one\n---\ntwo"}
    )
    [post] = plan_files([path])
    assert post.text == "one\n\ntwo"


def test_date_time_hashtag_and_handle_helpers(tmp_path: Path) -> None:
    template = (
        '{{ event.starts | date }}|{{ event.starts | date("%A") }}|{{ event.starts | time }}|'
        "{{ event.hashtags | hashtags }}|{{ handle() }}|{{ when | time }}"
    )
    path = write_project(tmp_path, templates={"hello.j2": template})
    [post] = plan_files([path])
    assert post.text == "26 September 2017|Tuesday|09:00|#DarkWeb #Media4sec|@MEDIA4SEC|10:00"


def test_track_helper_tags_a_site_link_explicitly(tmp_path: Path) -> None:
    path = write_project(
        tmp_path, templates={"hello.j2": '{{ track("https://www.media4sec.eu/news/") }}'}
    )
    [post] = plan_files([path])
    assert "utm_source=twitter" in post.text
    assert "utm_campaign=darkweb-2017" in post.text


def test_a_missing_handle_names_the_field_to_add(tmp_path: Path) -> None:
    path = write_project(
        tmp_path, campaign_data(platforms=["bluesky"]), {"hello.j2": "{{ handle() }}"}
    )
    with pytest.raises(InvalidCampaign, match="no handle for bluesky"):
        plan_files([path])


def test_changing_a_template_keeps_ids_but_changes_the_digest(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    before = plan_files([path])[0]
    (tmp_path / "templates" / "hello.j2").write_text("Changed {{ event.title }}")
    after = plan_files([path])[0]
    assert before.id == after.id
    assert before.content_digest() != after.content_digest()
