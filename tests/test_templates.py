"""Templates: platform overrides, threads, helpers, and the sandbox."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import StrictUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaign.errors import InvalidCampaign
from campaign.render.environment import make_environment
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


_NAMES = ["title", "missing", "items", "keys", "get", "copy", "__class__", "__init__", "mro", "_x"]


@pytest.mark.parametrize("name", _NAMES)
def test_attributes_of_plain_dicts_resolve_as_in_jinja2s_own_sandbox(
    tmp_path: Path, name: str
) -> None:
    ours = make_environment(tmp_path)
    theirs = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for view in ({"title": "Dark Web", "items": "key wins?", "_x": 1}, {}):
        mine, reference = ours.getattr(view, name), theirs.getattr(view, name)
        assert type(mine) is type(reference)
        if isinstance(reference, Undefined):  # both raise the same error when used
            with pytest.raises(Exception) as caught:  # noqa: PT011
                str(mine)
            with pytest.raises(type(caught.value), match="^" + re.escape(str(caught.value)) + "$"):
                str(reference)
        else:
            assert mine == reference


def test_dates_print_in_their_own_zone_and_fold_whatever_was_printed_before(
    tmp_path: Path,
) -> None:
    env = make_environment(tmp_path)
    template = env.from_string('{% for t in times %}{{ t | time("%H:%M %Z") }}|{% endfor %}')
    amsterdam = datetime(2027, 9, 26, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    london = amsterdam.astimezone(ZoneInfo("Europe/London"))  # the same instant
    first = datetime(2027, 10, 31, 2, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    second = first.replace(fold=1)  # the clock goes back: the same 02:30 an hour later
    times = [amsterdam, london, first, second] * 2
    assert template.render(times=times).split("|")[:8] == [
        "09:00 CEST", "08:00 BST", "02:30 CEST", "02:30 CET",
        "09:00 CEST", "08:00 BST", "02:30 CEST", "02:30 CET",
    ]  # fmt: skip
