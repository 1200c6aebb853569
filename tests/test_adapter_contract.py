"""What every adapter must do, written once and run against each platform's fake server.

Each test runs four times, once per platform (the ``fake`` fixture), with the real adapter
from :func:`campaign.adapters.registry.connect` talking over a socket to the fake, and the
shared fault vocabulary of :mod:`tests.fakes._http`. What only one platform does is in its
own ``tests/test_adapter_<platform>.py``.
"""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaign.adapters._config import AdapterSettings
from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.adapters.bluesky import BlueskySettings
from campaign.adapters.engagement import FIGURES, Engagement
from campaign.adapters.linkedin import LinkedInSettings
from campaign.adapters.mastodon import MastodonSettings
from campaign.adapters.registry import connect
from campaign.adapters.twitter import XSettings
from campaign.errors import (
    CampaignError,
    ConfigurationError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from campaign.platforms.images import Image
from tests.fakes._http import FakePlatform
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX
from tests.fakes.x_fixtures import png_bytes

FAKES: dict[str, Callable[[], FakePlatform]] = {
    "twitter": FakeX,
    "mastodon": FakeMastodon,
    "bluesky": FakeBluesky,
    "linkedin": FakeLinkedIn,
}
SETTINGS: dict[str, type[AdapterSettings]] = {
    "twitter": XSettings,
    "mastodon": MastodonSettings,
    "bluesky": BlueskySettings,
    "linkedin": LinkedInSettings,
}
MakePost = Callable[..., Outgoing]
TEXT = "Doors open at 19:00, see https://example.org/meetup"
ALT = "Forty people in a small room"


@pytest.fixture(params=list(FAKES))
def platform(request: pytest.FixtureRequest) -> str:
    """Each platform's name in turn, as the registry knows it."""
    name: str = request.param
    return name


@pytest.fixture
def fake(platform: str) -> Iterator[FakePlatform]:
    """The platform's fake server, running."""
    with FAKES[platform]() as server:
        yield server


@pytest.fixture
def make(platform: str, fake: FakePlatform) -> Iterator[Callable[..., Adapter]]:
    """Connects adapters to ``fake`` (``make(VARIABLE=value)`` overrides a setting); closes
    them after the test."""
    made: list[Adapter] = []

    def build(**overrides: str) -> Adapter:
        made.append(connect(platform, fake.env(**overrides)))
        return made[-1]

    yield build
    for adapter in made:
        adapter.close()


@pytest.fixture
def adapter(make: Callable[..., Adapter]) -> Adapter:
    """The platform's real adapter, connected to its fake."""
    return make()


@pytest.fixture
def post() -> Callable[..., Outgoing]:
    """Makes posts planned a minute before the test began: one post is the same each time
    it is made (Bluesky's record key comes from the post's id and planned time)."""
    at = datetime.now(UTC) - timedelta(minutes=1)

    def make(text: str = TEXT, post_id: str = "p-1", **kwargs: Any) -> Outgoing:
        return Outgoing(post_id=post_id, text=text, scheduled_at=at, **kwargs)

    return make


def photo(data: bytes | None = None, alt: str = ALT, name: str = "room.png") -> Image:
    return Image.of(f"media/{name}", png_bytes() if data is None else data, alt)


def credentials(fake: FakePlatform) -> list[str]:
    """The variables besides the server's address that connect an adapter to ``fake``."""
    return [name for name in fake.env() if name != fake.url_setting]


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestPublish:
    def test_connecting_sends_nothing(self, fake: FakePlatform, adapter: Adapter) -> None:
        assert fake.calls() == []

    def test_checking_the_credentials_names_the_account(
        self, fake: FakePlatform, adapter: Adapter
    ) -> None:
        assert adapter.check_credentials().strip()
        assert len(fake.calls("whoami")) == 1
        assert fake.published() == []

    def test_a_post_is_published_once_with_its_text(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        receipt = adapter.publish(post())

        [published] = fake.published()
        shown = adapter.spec.display(TEXT)  # as the platform shows it (Bluesky shortens links)
        assert (published.id, published.text, published.reply_to) == (
            receipt.remote_id,
            shown,
            None,
        )
        assert published.images == ()
        assert receipt.url

    def test_a_thread_replies_part_to_part_or_is_refused_where_there_are_none(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        first = adapter.publish(post("1/3 We meet tonight", "t-1"))
        if not adapter.spec.threads:
            with pytest.raises(PermanentError, match="no threads"):
                adapter.publish(post("2/3", "t-2", reply_to=first.remote_id))
            assert len(fake.calls("publish")) == 1
            return
        second = adapter.publish(
            post("2/3 Talks at 19:30", "t-2", reply_to=first.remote_id, thread_root=first.remote_id)
        )
        third = adapter.publish(
            post("3/3 Pizza after", "t-3", reply_to=second.remote_id, thread_root=first.remote_id)
        )

        published = fake.published()
        assert [p.id for p in published] == [r.remote_id for r in (first, second, third)]
        assert [p.reply_to for p in published] == [None, first.remote_id, second.remote_id]

    def test_an_image_goes_out_with_its_alt_text(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        adapter.publish(post(media=(photo(),)))

        [published] = fake.published()
        assert published.images == ((png_bytes(), ALT),)
        assert len(fake.calls("upload_media")) == 1

    def test_publishing_the_same_post_again_returns_the_first_receipt(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        first = adapter.publish(post())

        again = adapter.publish(post())

        assert again.remote_id == first.remote_id
        assert len(fake.published()) == 1

    @pytest.mark.parametrize(
        ("image", "says"),
        [
            (photo(png_bytes()[:-20]), "not a valid PNG file"),
            (photo(b"just some words"), "not a valid PNG file"),
            (photo(alt="  "), "has no alt text"),
            (photo(b"BM" + bytes(60), name="scan.bmp"), "is a BMP file"),
        ],
        ids=["cut-short", "not-an-image", "no-alt-text", "bmp"],
    )
    def test_a_bad_image_is_refused_before_any_request(
        self, fake: FakePlatform, adapter: Adapter, image: Image, says: str, post: MakePost
    ) -> None:
        with pytest.raises(PermanentError, match=says) as caught:
            adapter.publish(post(media=(image,)))

        assert image.name in str(caught.value)
        # Nothing sent; Mastodon may first read its server's own limits (a read-only GET).
        assert [c.operation for c in fake.calls() if c.operation != "instance"] == []


class TestFailures:
    @pytest.mark.parametrize("operation", ["publish", "upload_media"])
    def test_a_server_error_is_retryable_and_publishes_nothing(
        self, fake: FakePlatform, adapter: Adapter, operation: str, post: MakePost
    ) -> None:
        fake.fault(operation, "server_error")

        with pytest.raises(RetryableError, match="503"):
            adapter.publish(post(media=(photo(),)))

        assert fake.published() == []

    def test_a_lost_answer_to_an_upload_is_retryable_and_publishes_nothing(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        fake.fault("upload_media", "drop")

        with pytest.raises(RetryableError, match="upload"):
            adapter.publish(post(media=(photo(),)))

        assert fake.published() == []
        assert fake.calls("publish") == []

    def test_a_refused_post_is_permanent(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        fake.fault("publish", "reject")

        with pytest.raises(PermanentError):
            adapter.publish(post())

        assert fake.published() == []

    def test_a_refused_connection_is_retryable(
        self, fake: FakePlatform, make: Callable[..., Adapter], post: MakePost
    ) -> None:
        adapter = make(**{fake.url_setting: f"http://127.0.0.1:{closed_port()}"})

        with pytest.raises(RetryableError, match=r"connection refused|nothing was published"):
            adapter.publish(post())

    def test_a_rate_limit_says_when_it_resets(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=17)
        fake.set_rate_limit_reset(reset)
        fake.fault("publish", "rate_limit")

        with pytest.raises(RateLimited) as caught:
            adapter.publish(post())

        assert caught.value.reset_at is not None
        # LinkedIn sends seconds to wait (Retry-After), so its reset moves with the clock
        assert abs(caught.value.reset_at - reset) <= timedelta(seconds=5)
        assert f"{caught.value.reset_at:%Y-%m-%d %H:%M}" in str(caught.value)  # for people
        assert fake.published() == []

    def test_refused_credentials_are_permanent_and_say_which_setting_to_fix(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        fake.fault("publish", "unauthorized", times=2)  # Bluesky logs in again once

        with pytest.raises(PermanentError, match="401") as caught:
            adapter.publish(post())

        assert any(name in str(caught.value) for name in credentials(fake))
        assert fake.published() == []


class TestLostAnswers:
    def test_a_lost_answer_is_an_unknown_outcome_that_look_back_settles(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        fake.fault("publish", "drop")
        with pytest.raises(OutcomeUnknown):
            adapter.publish(post())

        found = adapter.look_back(post())

        [published] = fake.published()
        assert found is not None
        assert found.remote_id == published.id
        assert adapter.publish(post()).remote_id == published.id
        assert len(fake.published()) == 1

    def test_a_request_lost_before_it_was_done_is_not_found(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        fake.fault("publish", "drop_before")
        with pytest.raises(OutcomeUnknown):
            adapter.publish(post())

        assert adapter.look_back(post()) is None
        assert fake.published() == []
        adapter.publish(post())
        assert len(fake.published()) == 1

    def test_look_back_finds_a_post_from_an_earlier_connection(
        self, fake: FakePlatform, make: Callable[..., Adapter], post: MakePost
    ) -> None:
        receipt = make().publish(post())

        found = make().look_back(post())

        assert found is not None
        assert found.remote_id == receipt.remote_id
        assert len(fake.published()) == 1

    def test_look_back_of_a_post_never_sent_finds_nothing_and_creates_nothing(
        self, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        adapter.publish(post("Something else", "other"))

        assert adapter.look_back(post()) is None
        assert len(fake.published()) == 1


class TestSettings:
    def test_missing_credentials_are_all_named_before_any_request(
        self, platform: str, fake: FakePlatform
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            connect(platform, {fake.url_setting: fake.url})

        assert [name for name in credentials(fake) if name not in str(caught.value)] == []
        assert fake.calls() == []


def test_no_secret_reaches_errors_logs_output_or_reprs(
    platform: str,
    fake: FakePlatform,
    make: Callable[..., Adapter],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    post: MakePost,
) -> None:
    """Every way to fail, with debug logging on: no credential in any message, traceback
    (with its causes), log line, printed output or repr."""
    caplog.set_level(logging.DEBUG)
    adapter = make()
    settings = SETTINGS[platform].load(fake.env())
    seen = [repr(adapter), repr(settings), str(settings), adapter.check_credentials()]
    receipts: list[Receipt | None] = [adapter.publish(post(media=(photo(),)))]
    errors: list[CampaignError] = []

    def attempt(action: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        with pytest.raises(CampaignError) as caught:
            action(*args, **kwargs)
        errors.append(caught.value)

    faults = ["drop", "drop_before", "rate_limit", "server_error", "gateway_timeout", "reject"]
    for n, kind in enumerate(faults):
        fake.fault("publish", kind)
        attempt(adapter.publish, post(f"Post number {n}", f"p-{n}"))
    receipts.append(adapter.look_back(post("Post number 0", "p-0")))
    fake.fault("upload_media", "drop")
    attempt(adapter.publish, post("With a picture", "p-pic", media=(photo(),)))
    attempt(adapter.publish, post("Bad picture", "p-bad", media=(photo(b"junk"),)))
    fake.fault("publish", "unauthorized", times=2)  # twice: Bluesky logs in again once
    attempt(adapter.publish, post("Refused", "p-refused"))
    fake.fault("whoami", "unauthorized", times=2)
    attempt(adapter.check_credentials)
    unreachable = make(**{fake.url_setting: f"http://127.0.0.1:{closed_port()}"})
    attempt(unreachable.publish, post())
    attempt(make, **{fake.url_setting: "not a url"})

    printed = capsys.readouterr()
    seen += [caplog.text, printed.out, printed.err, *map(repr, receipts)]
    seen += ["".join(traceback.format_exception(e)) for e in errors]
    seen += [repr(e) for e in errors]
    assert "DEBUG" in caplog.text  # debug logging really was on
    everything = "\n".join(seen)
    assert [secret for secret in fake.secrets() if secret in everything] == []


# What each platform counts, under our names (the rest stay None), and the requests 30 posts'
# figures take: X reads 100 posts a request, Bluesky 25, LinkedIn 20, Mastodon one.
ALL = {"likes": 5, "reposts": 4, "replies": 3, "quotes": 2, "bookmarks": 1, "impressions": 900}
COUNTED = {
    "twitter": ALL,
    "mastodon": {name: ALL[name] for name in ("likes", "reposts", "replies")},
    "bluesky": {name: value for name, value in ALL.items() if name != "impressions"},
    "linkedin": {name: ALL[name] for name in ("likes", "reposts", "replies", "impressions")},
}
REQUESTS_FOR_30 = {"twitter": 1, "mastodon": 30, "bluesky": 2, "linkedin": 2}


class TestEngagement:
    def published(self, adapter: Adapter, post: MakePost, count: int) -> list[str]:
        return [adapter.publish(post(f"Post number {n}", f"p-{n}")).remote_id for n in range(count)]

    def test_the_figures_set_on_the_platform_come_back_under_our_names(
        self, platform: str, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        first, second = self.published(adapter, post, 2)
        fake.set_figures(first, **COUNTED[platform])
        readings = adapter.engagement([first, second])
        assert readings[first].figures() == {**dict.fromkeys(FIGURES), **COUNTED[platform]}
        assert readings[second].figures() == {
            **dict.fromkeys(FIGURES),
            **dict.fromkeys(COUNTED[platform], 0),
        }
        assert readings[first].unavailable is None

    def test_a_batch_is_one_request_as_far_as_the_platform_allows(
        self, platform: str, fake: FakePlatform, adapter: Adapter, post: MakePost
    ) -> None:
        ids = self.published(adapter, post, 30)
        before = len(fake.calls("metrics"))
        size = adapter.metrics_batch
        found: dict[str, Engagement] = {}
        for start in range(0, len(ids), size):
            found.update(adapter.engagement(ids[start : start + size]))
        assert len(fake.calls("metrics")) - before == REQUESTS_FOR_30[platform]
        assert set(found) == set(ids)

    def test_a_post_gone_from_the_platform_reads_as_not_available(
        self, platform: str, adapter: Adapter, post: MakePost
    ) -> None:
        (kept,) = self.published(adapter, post, 1)
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
        self,
        fake: FakePlatform,
        adapter: Adapter,
        post: MakePost,
        fault: str,
        error: type[Exception],
    ) -> None:
        (remote,) = self.published(adapter, post, 1)
        fake.fault("metrics", fault, times=2)  # twice: Bluesky logs in again once
        with pytest.raises(error):
            adapter.engagement([remote])
