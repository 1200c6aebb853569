"""Platform quotas over sliding windows (warnings, never errors) and the estimated cost on X,
in validate, preview and schedule."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.errors import ConfigurationError
from campaign.platforms.images import Image
from campaign.platforms.prices import X_PRICES
from campaign.platforms.quotas import QUOTAS
from campaign.render.cost import x_cost
from campaign.render.plan_settings import PlanSettings
from campaign.render.post import Post
from campaign.render.quota_check import quota_warnings
from campaign.store import Ledger
from tests.fakes.x_fixtures import png_bytes
from tests.ledger_helpers import force_state
from tests.planfiles import campaign_data, csv_events, write_project

runner = CliRunner()
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _posts(platform: str, count: int, every: timedelta, text: str = "Hello") -> list[Post]:
    return [
        Post(
            id=f"{platform[:2]}{n:05d}",
            campaign="c",
            event=f"e{n}",
            announcement="hello",
            platform=platform,
            scheduled_at=START + n * every,
            timezone="UTC",
            text=text,
            length=len(text),
            limit=280,
        )
        for n in range(count)
    ]


def test_101_posts_in_15_minutes_on_x_warn_naming_window_and_posts() -> None:
    posts = _posts("twitter", 101, timedelta(seconds=8))  # the last at 09:13:20
    [warning] = quota_warnings(posts, QUOTAS)
    assert warning.quota.key == "twitter_15m"
    assert warning.posts == tuple(posts)
    message = str(warning)
    assert "X (Twitter): 101 posts from 2027-03-01 09:00 to 09:13 UTC" in message
    assert "within 15 minutes, over the limit of 100 posts per 15 minutes per account" in message
    assert "tw00000 (hello, e0, 09:00)" in message
    assert "and 96 more" in message
    assert "CAMPAIGN_QUOTA_TWITTER_15M" in message
    assert warning.to_json()["window_seconds"] == 900


@pytest.mark.parametrize(
    ("platform", "count", "every", "warned"),
    [
        ("twitter", 100, timedelta(seconds=9), []),  # at the limit
        ("twitter", 200, timedelta(minutes=7, seconds=30), []),  # two a window, all day
        ("twitter", 10_001, timedelta(seconds=8), ["twitter_15m", "twitter_24h"]),
        ("bluesky", 1_666, timedelta(seconds=2), []),  # 4,998 points in an hour
        ("bluesky", 1_667, timedelta(seconds=2), ["bluesky_1h"]),  # 5,001 points
        ("mastodon", 301, timedelta(seconds=30), ["mastodon_3h"]),
        ("linkedin", 151, timedelta(minutes=5), ["linkedin_24h"]),
    ],
)
def test_each_platform_has_its_published_windows(
    platform: str, count: int, every: timedelta, warned: list[str]
) -> None:
    found = {
        warning.quota.key for warning in quota_warnings(_posts(platform, count, every), QUOTAS)
    }
    assert sorted(found) == warned


def test_a_window_is_sliding_not_aligned_to_the_clock() -> None:
    # 120 posts from 09:08 to 09:18: neither quarter of the clock holds over 100, yet the
    # window from 09:08 to 09:23 holds them all.
    late = [
        replace(post, scheduled_at=post.scheduled_at + timedelta(minutes=8))
        for post in _posts("twitter", 120, timedelta(seconds=5))
    ]
    [warning] = quota_warnings(late, QUOTAS)
    assert len(warning.posts) == 120


def test_a_limit_can_be_set_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_QUOTA_TWITTER_15M", "2")
    quotas = PlanSettings.load().quotas()
    [warning] = quota_warnings(_posts("twitter", 3, timedelta(minutes=1)), quotas)
    assert "over the limit of 2 posts per 15 minutes" in str(warning)


def test_a_malformed_setting_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_QUOTA_MASTODON_3H", "lots")
    with pytest.raises(ConfigurationError, match="CAMPAIGN_QUOTA_MASTODON_3H"):
        PlanSettings.load()


def test_every_quota_can_be_overridden() -> None:
    assert {f"quota_{quota.key}" for quota in QUOTAS} <= set(PlanSettings.model_fields)
    assert all(quota.source and quota.as_of for quota in QUOTAS)


def test_x_cost_counts_posts_with_and_without_url_and_images() -> None:
    image = Image.of("a.png", png_bytes(), "alt")
    plain = _posts("twitter", 2, timedelta(hours=1))
    linked = _posts("twitter", 3, timedelta(hours=1), text="See https://media4sec.eu/x")
    with_image = [replace(plain[0], id="img", media=(image, image))]
    others = _posts("mastodon", 5, timedelta(hours=1), text="See https://media4sec.eu/x")
    cost = x_cost([*plain, *linked, *with_image, *others], X_PRICES)
    assert (cost.posts, cost.posts_with_url, cost.media) == (3, 3, 2)
    assert cost.total == Decimal("0.655")  # 3 x 0.015 + 3 x 0.20 + 2 x 0.005
    assert cost.to_json()["total"] == "0.655"


def test_x_prices_can_be_set_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_X_PRICE_POST_WITH_URL", "0.5")
    prices = PlanSettings.load().x_prices()
    assert (prices.post, prices.post_with_url) == (X_PRICES.post, Decimal("0.5"))
    assert "CAMPAIGN_X_PRICE" in prices.as_of


def _burst(tmp_path: Path, count: int) -> Path:
    """A campaign posting ``count`` events' posts on X at the same minute."""
    data = campaign_data(event=None, events="events.csv")
    path = write_project(tmp_path, data)
    rows = [
        {"id": f"e{n}", "starts": "2027-03-01 09:00", "ends": "2027-03-01 17:00"}
        for n in range(count)
    ]
    (path.parent / "events.csv").write_text(csv_events(*rows))
    return path


@pytest.mark.parametrize("command", ["validate", "preview", "schedule"])
def test_commands_warn_of_a_quota_and_still_succeed(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("CAMPAIGN_QUOTA_TWITTER_15M", "2")
    result = runner.invoke(app, [command, str(_burst(tmp_path, 3))])
    assert result.exit_code == 0, result.output
    stderr = " ".join(result.stderr.split())
    assert "warning: X (Twitter): 3 posts from 2027-02-28 09:00 to 09:00 UTC" in stderr
    if command != "validate":
        assert "Estimated cost on X: $0.600 (0 post(s) without a URL" in result.output


def test_preview_json_keeps_stdout_and_writes_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_QUOTA_TWITTER_15M", "2")
    summary = tmp_path / "summary.json"
    path = _burst(tmp_path, 3)
    result = runner.invoke(app, ["preview", str(path), "--json", "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    posts = json.loads(result.stdout)
    assert [post["event"] for post in posts] == ["e0", "e1", "e2"]
    assert "Estimated cost on X: $0.600" in result.stderr
    written = json.loads(summary.read_text())
    assert written["x_cost"]["posts_with_url"] == 3
    assert written["x_cost"]["total"] == "0.600"
    [warning] = written["quota_warnings"]
    assert (warning["quota"], warning["limit"], warning["used"]) == ("twitter_15m", 2, 3)
    assert warning["posts"] == [post["id"] for post in posts]


def test_schedule_counts_what_the_ledger_already_holds_for_other_campaigns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("CAMPAIGN_QUOTA_TWITTER_15M", "2")
    first = _burst(tmp_path, 2)
    assert runner.invoke(app, ["schedule", str(first)]).exit_code == 0
    again = runner.invoke(app, ["schedule", str(first)])
    assert "warning" not in again.stderr, "a campaign's own queued posts are not counted twice"
    other = campaign_data(campaign="other", event=None, events="other.csv")
    second = write_project(tmp_path, other, name="other.yaml")
    (second.parent / "other.csv").write_text(
        csv_events({"id": "x", "starts": "2027-03-01 09:00", "ends": "2027-03-01 17:00"})
    )
    result = runner.invoke(app, ["schedule", str(second)])
    assert result.exit_code == 0, result.output
    assert "warning: X (Twitter): 3 posts from 2027-02-28 09:00" in " ".join(result.stderr.split())


def test_a_summary_file_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "summary.json"
    result = runner.invoke(
        app, ["preview", str(_burst(tmp_path, 1)), "--summary-json", str(target)]
    )
    assert result.exit_code == 1
    assert "cannot write the summary to" in result.stderr
    assert "No such file or directory" in " ".join(result.stderr.split())


def test_schedule_costs_only_the_posts_still_to_go_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run again after one post went out, ``schedule`` prices the two left to send."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", url)
    path = _burst(tmp_path, 3)
    assert "Estimated cost on X: $0.600" in runner.invoke(app, ["schedule", str(path)]).output
    with Ledger.open(url) as ledger:
        force_state(ledger, ledger.list()[0].id, "sent", remote_id="1")
    again = runner.invoke(app, ["schedule", str(path)])
    assert again.exit_code == 0, again.output
    assert "Estimated cost on X: $0.400 (0 post(s) without a URL" in again.output
