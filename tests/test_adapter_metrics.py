"""Reading published posts' public figures, through each real client library against its fake.

Once per platform: the figures a test sets on the fake come back under our names, in as few
requests as the platform allows, and a post the platform no longer has reads as "not
available" instead of failing the batch. LinkedIn's scopes are tried in turn and, when none
allows it, the reading says which scope to add.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from campaign.adapters.base import Adapter, Outgoing
from campaign.adapters.engagement import Engagement
from campaign.adapters.registry import connect
from campaign.errors import RateLimited, RetryableError
from tests.fakes._http import FakePlatform
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX

FAKES: dict[str, Callable[[], FakePlatform]] = {
    "twitter": FakeX,
    "mastodon": FakeMastodon,
    "bluesky": FakeBluesky,
    "linkedin": FakeLinkedIn,
}
# What each platform counts, as our figures (the rest stay None).
COUNTED = {
    "twitter": {
        "likes": 5,
        "reposts": 4,
        "replies": 3,
        "quotes": 2,
        "bookmarks": 1,
        "impressions": 900,
    },
    "mastodon": {"likes": 5, "reposts": 4, "replies": 3},
    "bluesky": {"likes": 5, "reposts": 4, "replies": 3, "quotes": 2, "bookmarks": 1},
    "linkedin": {"likes": 5, "reposts": 4, "replies": 3, "impressions": 900},
}
# Requests needed to read 30 posts: X takes 100 a call, Bluesky 25, LinkedIn 20, Mastodon 1.
CALLS_FOR_30 = {"twitter": 1, "mastodon": 30, "bluesky": 2, "linkedin": 2}


@pytest.fixture(params=list(FAKES))
def platform(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def fake(platform: str) -> Iterator[FakePlatform]:
    with FAKES[platform]() as server:
        yield server


@pytest.fixture
def adapter(platform: str, fake: FakePlatform) -> Iterator[Adapter]:
    made = connect(platform, fake.env())
    yield made
    made.close()


def publish(adapter: Adapter, count: int) -> list[str]:
    """Publish ``count`` posts and return their remote ids."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    return [
        adapter.publish(
            Outgoing(post_id=f"p-{n}", text=f"Post number {n}", scheduled_at=at)
        ).remote_id
        for n in range(count)
    ]


def read_all(adapter: Adapter, ids: list[str]) -> dict[str, Engagement]:
    """Read ``ids`` in batches of the adapter's size, as the daemon does."""
    size = adapter.metrics_batch
    found: dict[str, Engagement] = {}
    for start in range(0, len(ids), size):
        found.update(adapter.engagement(ids[start : start + size]))
    return found


def test_the_figures_set_on_the_platform_come_back_under_our_names(
    platform: str, fake: FakePlatform, adapter: Adapter
) -> None:
    first, second = publish(adapter, 2)
    fake.set_figures(first, **COUNTED[platform])
    readings = adapter.engagement([first, second])
    expected = dict.fromkeys(("likes", "reposts", "replies", "quotes", "bookmarks", "impressions"))
    assert readings[first].figures() == {**expected, **COUNTED[platform]}
    assert readings[second].figures() == {**expected, **dict.fromkeys(COUNTED[platform], 0)}
    assert readings[first].unavailable is None


def test_a_batch_is_one_request_as_far_as_the_platform_allows(
    platform: str, fake: FakePlatform, adapter: Adapter
) -> None:
    ids = publish(adapter, 30)
    before = len(fake.calls("metrics"))
    readings = read_all(adapter, ids)
    assert len(fake.calls("metrics")) - before == CALLS_FOR_30[platform]
    assert set(readings) == set(ids)


def test_a_post_gone_from_the_platform_reads_as_not_available(
    platform: str, fake: FakePlatform, adapter: Adapter
) -> None:
    (kept,) = publish(adapter, 1)
    gone = {
        "twitter": "1799999999999999999",
        "mastodon": "999",
        "bluesky": kept.replace(kept.split("/")[-1].split("#")[0], "3zzzzzzzzzzzz"),
        "linkedin": "urn:li:share:7999",
    }[platform]
    readings = adapter.engagement([kept, gone])
    assert readings[kept].unavailable is None
    assert "no longer" in (readings[gone].unavailable or "")
    assert readings[gone].likes is None


@pytest.mark.parametrize(
    ("fault", "error"), [("server_error", RetryableError), ("rate_limit", RateLimited)]
)
def test_a_failing_read_raises_what_publishing_would(
    fake: FakePlatform, adapter: Adapter, fault: str, error: type[Exception]
) -> None:
    (remote,) = publish(adapter, 1)
    fake.fault("metrics", fault, times=2)  # LinkedIn tries its second endpoint only on 403
    with pytest.raises(error):
        adapter.engagement([remote])


class TestLinkedInScopes:
    def test_without_statistics_it_reads_likes_and_comments(self) -> None:
        with FakeLinkedIn() as fake:
            fake.scopes.discard("rw_organization_admin")
            adapter = connect("linkedin", fake.env())
            (urn,) = publish(adapter, 1)
            fake.set_figures(urn, likes=7, replies=2, reposts=1, impressions=50)
            reading = adapter.engagement([urn])[urn]
            adapter.close()
        assert (reading.likes, reading.replies, reading.reposts, reading.impressions) == (
            7,
            2,
            None,
            None,
        )
        assert [c.path.split("/")[2] for c in fake.calls("metrics")] == [
            "organizationalEntityShareStatistics",
            "socialActions",
        ]

    @pytest.mark.parametrize("author", ["urn:li:organization:123", "urn:li:person:abc123"])
    def test_without_any_read_scope_it_says_which_to_add(self, author: str) -> None:
        with FakeLinkedIn() as fake:
            fake.scopes -= {"rw_organization_admin", "r_organization_social", "r_member_social"}
            adapter = connect("linkedin", fake.env(author=author))
            (urn,) = publish(adapter, 1)
            reading = adapter.engagement([urn])[urn]
            adapter.close()
        assert reading.likes is None
        assert "r_organization_social" in (reading.unavailable or "")
        assert "rw_organization_admin" in (reading.unavailable or "")
