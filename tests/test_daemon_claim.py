"""What is claimed is what is sent (issue 10, point 4): a post ``campaign schedule`` edits while
a worker waits for its account's lane goes out as edited, or waits for its new time; never
with the text the worker read before.

In-process, on a real SQLite ledger and each platform's fake server. The test holds the
account's lane itself and knows the worker is waiting for it because the worker asked the
gate for it (no sleeps); then it edits and schedules again, and lets the worker go.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from campaign.daemon.config import DaemonSettings
from campaign.daemon.ratelimits import AccountGate
from campaign.daemon.runtime import Runtime
from campaign.render.post import Post
from tests.daemon_helpers import mastodon_env
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX
from tests.ledger_helpers import make_post

PLATFORMS = ["twitter", "mastodon", "bluesky", "linkedin"]


class WatchedGate(AccountGate):
    """The real gate, telling the test when a worker asks for an account's lane."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()

    def lane(self, account: str) -> threading.RLock:
        lock = super().lane(account)
        self.asked.set()
        return lock


Texts = Callable[[], list[str]]


@pytest.fixture(params=PLATFORMS)
def platform(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Texts]]:
    """A platform name and what its fake has received (texts), credentials in the env."""
    name: str = request.param
    with ExitStack() as stack:
        texts: Texts
        if name == "twitter":
            x = stack.enter_context(FakeX())
            env = x.env()
            texts = lambda: [t.text for t in x.tweets]  # noqa: E731
        elif name == "mastodon":
            mastodon = stack.enter_context(FakeMastodon())
            env = mastodon_env(mastodon)
            texts = lambda: [s["text"] for s in mastodon.statuses]  # noqa: E731
        elif name == "bluesky":
            bluesky = stack.enter_context(FakeBluesky())
            env = bluesky.env()
            texts = lambda: [r.value["text"] for r in bluesky.records.values()]  # noqa: E731
        else:
            linkedin = stack.enter_context(FakeLinkedIn())
            env = {
                "CAMPAIGN_LINKEDIN_ACCESS_TOKEN": linkedin.token,
                "CAMPAIGN_LINKEDIN_AUTHOR": "urn:li:organization:123",
                "CAMPAIGN_LINKEDIN_API_URL": linkedin.url,
            }
            texts = lambda: [p["text"] for p in linkedin.posts]  # noqa: E731
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        yield name, texts


@pytest.fixture
def runtime(
    daemon_settings: Callable[..., DaemonSettings],
    open_runtime: Callable[..., Runtime],
    platform: tuple[str, Texts],
) -> Runtime:
    """A runtime whose publisher's gate tells when a worker waits for a lane."""
    opened = open_runtime(daemon_settings())
    opened.publisher.gate = WatchedGate()
    return opened


def publish_after_an_edit(runtime: Runtime, post: Post, edited: Post) -> None:
    """Start publishing ``post``; while its worker waits for the account's lane, schedule
    ``edited`` in its place; then let the worker go and wait for it to finish."""
    publisher = runtime.publisher
    gate = publisher.gate
    assert isinstance(gate, WatchedGate)
    adapter = publisher.connections.get(post.platform)
    assert adapter is not None
    lane = gate.lane(adapter.account_key)
    gate.asked.clear()
    with lane:
        worker = threading.Thread(target=publisher.publish, args=(post.id,))
        worker.start()
        assert gate.asked.wait(10), "the worker never asked for the account's lane"
        report = runtime.ledger.sync([edited], now=datetime.now(UTC))
        assert report.updated == (post.id,)
    worker.join(10)
    assert not worker.is_alive()


def test_a_post_edited_while_its_worker_waits_goes_out_as_edited(
    runtime: Runtime, platform: tuple[str, Texts]
):
    name, texts = platform
    post = make_post(platform=name, at=datetime.now(UTC) - timedelta(minutes=1), text="Old text")
    runtime.ledger.sync([post], now=datetime.now(UTC))
    edited = replace(post, text="New text, as edited after the worker read the post")
    publish_after_an_edit(runtime, post, edited)
    assert texts() == [edited.text]
    queued = runtime.ledger.get(post.id)
    assert (queued.state, queued.text) == ("sent", edited.text)


def test_a_post_moved_later_while_its_worker_waits_is_not_sent_yet(
    runtime: Runtime, platform: tuple[str, Texts]
):
    name, texts = platform
    post = make_post(platform=name, at=datetime.now(UTC) - timedelta(minutes=1), text="Old text")
    runtime.ledger.sync([post], now=datetime.now(UTC))
    later = replace(
        post, text="New text, for tomorrow", scheduled_at=post.scheduled_at + timedelta(days=1)
    )
    publish_after_an_edit(runtime, post, later)
    assert texts() == []
    queued = runtime.ledger.get(post.id)
    assert (queued.state, queued.text, queued.attempts) == ("scheduled", later.text, 0)
    assert queued.scheduled_at == later.scheduled_at
