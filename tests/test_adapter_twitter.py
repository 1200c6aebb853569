"""What only the X adapter does, with the real tweepy talking over a socket to the fake X API.

What every adapter does (posts, threads, images, faults, look-back, settings, secrets) is
tested once for all in ``tests/test_adapter_contract.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy
from requests.adapters import HTTPAdapter

from campaign.adapters._x_adapter import XAdapter, comparable
from campaign.adapters._x_media import UPLOAD_ATTEMPTS
from campaign.adapters.base import Adapter, Outgoing
from campaign.adapters.registry import connect
from campaign.adapters.twitter import XSettings
from campaign.errors import (
    ConfigurationError,
    PermanentError,
    PublishError,
    RateLimited,
    RetryableError,
)
from campaign.platforms.images import MB, Image
from campaign.platforms.twitter import SPEC
from tests.fakes.x_api import FakeX
from tests.fakes.x_fixtures import gif_bytes, png_bytes

VARIABLES = [
    "CAMPAIGN_TWITTER_API_KEY",
    "CAMPAIGN_TWITTER_API_SECRET",
    "CAMPAIGN_TWITTER_ACCESS_TOKEN",
    "CAMPAIGN_TWITTER_ACCESS_SECRET",
]


def post(text: str = "Doors open at 19:00 https://example.org/meetup", **kwargs: Any) -> Outgoing:
    return Outgoing(post_id=kwargs.pop("post_id", "p-1"), text=text, **kwargs)


def image(tmp_path: Path, data: bytes, name: str = "photo.png", alt: str = "A room") -> Image:
    path = tmp_path / name
    path.write_bytes(data)
    return Image.of(str(path), path.read_bytes(), alt)


class TestPublish:
    def test_the_receipt_links_to_the_post_on_x(self, fake_x: FakeX, x_adapter: Adapter) -> None:
        receipt = x_adapter.publish(post())

        [tweet] = fake_x.tweets
        assert receipt.url == f"https://x.com/i/web/status/{tweet.id}"

    def test_image_is_uploaded_then_described_then_attached(
        self, fake_x: FakeX, x_adapter: Adapter, tmp_path: Path
    ) -> None:
        media = image(tmp_path, png_bytes(), alt="Forty people in a small room")

        x_adapter.publish(post(media=(media,)))

        [(media_id, uploaded)] = fake_x.media.items()
        assert uploaded.data == png_bytes()
        assert uploaded.category == "tweet_image"
        assert uploaded.alt == "Forty people in a small room"
        assert fake_x.tweets[0].media_ids == [media_id]
        assert [c.operation for c in fake_x.calls()] == [
            "upload_media",
            "media_metadata",
            "publish",
        ]


class TestSegmentedUpload:
    """GIFs go in segments (initialize, append, finalize) and X processes them before use."""

    @pytest.fixture
    def waits(self) -> list[float]:
        return []

    @pytest.fixture
    def adapter(self, fake_x: FakeX, waits: list[float]) -> Iterator[XAdapter]:
        adapter = XAdapter(XSettings.load(fake_x.env()), sleep=waits.append)
        yield adapter
        adapter.close()

    def test_a_14_mb_gif_goes_in_segments_and_waits_for_processing(
        self, fake_x: FakeX, adapter: XAdapter, waits: list[float]
    ) -> None:
        data = gif_bytes() + bytes(14 * MB - len(gif_bytes()))  # a GIF padded after its trailer
        adapter.publish(post(media=(Image.of("art/dance.gif", data, "Two people dancing"),)))

        [uploaded] = fake_x.media.values()
        assert (uploaded.data == data, uploaded.alt) == (True, "Two people dancing")
        assert fake_x.tweets[0].media_ids == [uploaded.id]
        appends = fake_x.calls("media_append")
        assert len(appends) == 4  # 14 MB in segments of at most 4 MB
        assert all(len(c.body) < 5 * MB for c in appends)
        assert [c.operation for c in fake_x.calls()] == [
            "media_initialize",
            *["media_append"] * 4,
            "media_finalize",
            "media_status",  # in_progress
            "media_status",  # succeeded
            "media_metadata",
            "publish",
        ]
        assert waits == [2.0, 2.0]  # X's check_after_secs, through the injected sleep
        assert fake_x.calls("media_initialize")[0].json() == {
            "media_type": "image/gif",
            "total_bytes": 14 * MB,
            "media_category": "tweet_gif",
        }

    def test_a_processing_failure_is_permanent_and_names_the_file(
        self, fake_x: FakeX, adapter: XAdapter
    ) -> None:
        fake_x.processing_outcome = "failed"

        with pytest.raises(PermanentError, match=r"dance\.gif \(Unsupported GIF format\)"):
            adapter.publish(post(media=(Image.of("dance.gif", gif_bytes(), "Dancing"),)))

        assert fake_x.tweets == []
        assert len(fake_x.calls("media_initialize")) == 1  # not started again: X said no

    def test_processing_that_never_ends_is_tried_later_not_uploaded_again(
        self, fake_x: FakeX, adapter: XAdapter, waits: list[float]
    ) -> None:
        """Waiting holds the account's lane: after five minutes the post goes back to the
        publisher to be tried later, and the upload is not started again meanwhile."""
        fake_x.processing_outcome, fake_x.check_after_secs = "in_progress", 60

        with pytest.raises(RetryableError, match=r"still processing image dance\.gif"):
            adapter.publish(post(media=(Image.of("dance.gif", gif_bytes(), "Dancing"),)))

        assert len(fake_x.calls("media_initialize")) == 1
        assert sum(waits) == 300
        assert fake_x.tweets == []

    def test_a_dropped_answer_on_append_starts_the_upload_again(
        self, fake_x: FakeX, adapter: XAdapter
    ) -> None:
        fake_x.fault("media_append", "drop")

        adapter.publish(post(media=(Image.of("dance.gif", gif_bytes(), "Dancing"),)))

        first, second = fake_x.media.values()
        assert first.data == b""  # the broken session is abandoned, never finalized
        assert (second.data, second.alt) == (gif_bytes(), "Dancing")
        assert fake_x.tweets[0].media_ids == [second.id]
        assert len(fake_x.calls("media_initialize")) == 2

    def test_answers_lost_every_time_post_nothing(self, fake_x: FakeX, adapter: XAdapter) -> None:
        fake_x.fault("media_append", "drop", times=UPLOAD_ATTEMPTS)

        with pytest.raises(RetryableError, match=r"upload part 1 of image dance\.gif"):
            adapter.publish(post(media=(Image.of("dance.gif", gif_bytes(), "Dancing"),)))

        assert fake_x.calls("publish") == []
        assert len(fake_x.calls("media_initialize")) == UPLOAD_ATTEMPTS


class TestAltText:
    def test_alt_text_goes_to_the_current_metadata_path(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        x_adapter.publish(post(media=(Image.of("room.png", png_bytes(), "A room"),)))

        [call] = fake_x.calls("media_metadata")
        [media_id] = fake_x.media
        assert call.path == "/2/media/metadata"
        assert call.json() == {"id": media_id, "metadata": {"alt_text": {"text": "A room"}}}
        assert fake_x.calls("media_metadata_legacy") == []

    def test_the_launch_path_is_used_only_when_the_current_one_answers_404(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.metadata_path_live = False

        x_adapter.publish(post(media=(Image.of("room.png", png_bytes(), "A room"),)))

        [media] = fake_x.media.values()
        assert media.alt == "A room"
        assert [c.operation for c in fake_x.calls()] == [
            "upload_media",
            "POST /2/media/metadata",  # 404
            "media_metadata_legacy",
            "publish",
        ]
        assert fake_x.calls("media_metadata_legacy")[0].json() == {
            "media_id": media.id,
            "alt_text": {"text": "A room"},
        }

    def test_other_failures_do_not_fall_back(self, fake_x: FakeX, x_adapter: Adapter) -> None:
        fake_x.fault("media_metadata", "reject")

        with pytest.raises(PermanentError):
            x_adapter.publish(post(media=(Image.of("room.png", png_bytes(), "A room"),)))

        assert fake_x.calls("media_metadata_legacy") == fake_x.calls("publish") == []


class TestErrors:
    @pytest.mark.parametrize(
        ("operation", "fault", "times", "error"),
        [
            ("media_initialize", "reject", 1, PermanentError),
            ("media_append", "rate_limit", 1, RateLimited),
            ("media_finalize", "server_error", UPLOAD_ATTEMPTS, RetryableError),
            ("media_status", "drop_before", UPLOAD_ATTEMPTS, RetryableError),
            ("media_metadata", "rate_limit", 1, RateLimited),
            ("media_metadata", "server_error", 1, RetryableError),
        ],
    )
    def test_a_fault_while_preparing_an_image_posts_nothing(
        self,
        fake_x: FakeX,
        x_adapter: Adapter,
        tmp_path: Path,
        operation: str,
        fault: str,
        times: int,
        error: type[PublishError],
    ) -> None:
        fake_x.fault(operation, fault, times)
        gif = image(tmp_path, gif_bytes(), "dance.gif")  # a GIF: segments and a status poll

        with pytest.raises(error) as caught:
            x_adapter.publish(post(media=(gif,)))

        assert type(caught.value) is error
        assert fake_x.tweets == []

    def test_rate_limit_carries_the_reset_time_from_the_header(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.rate_limit_reset = 1_900_000_000
        fake_x.fault("publish", "rate_limit")

        with pytest.raises(RateLimited) as caught:
            x_adapter.publish(post())

        assert caught.value.reset_at == datetime.fromtimestamp(1_900_000_000, UTC)
        assert "2030-03-17 17:46:40 UTC" in str(caught.value)

    def test_refused_credentials_say_which_variables_to_check(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.set_credentials(access_secret="rotated-in-the-portal")

        with pytest.raises(PermanentError) as caught:
            x_adapter.publish(post())

        assert "401" in str(caught.value)
        assert all(variable in str(caught.value) for variable in VARIABLES)
        assert fake_x.tweets == []

    def test_missing_write_permission_says_to_regenerate_the_token(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.write_permission = False

        with pytest.raises(PermanentError, match="Read and Write") as caught:
            x_adapter.publish(post())

        assert "regenerate the access token" in str(caught.value)

    def test_too_long_text_is_permanent(self, fake_x: FakeX, x_adapter: Adapter) -> None:
        with pytest.raises(PermanentError, match=r"281 weighted characters.*280.*shorten"):
            x_adapter.publish(post("x" * 281))
        assert fake_x.calls() == []

    def test_duplicate_not_on_the_timeline_is_permanent(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.add_tweet("Doors open at 19:00 https://example.org/meetup")
        fake_x.timeline_visible = False  # X has not listed it yet

        with pytest.raises(PermanentError, match="duplicates a recent post"):
            x_adapter.publish(post())
        assert len(fake_x.tweets) == 1


class TestDuplicatesAndLookBack:
    def test_duplicate_is_looked_up_on_the_timeline(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        earlier = fake_x.add_tweet("Doors open at 19:00 https://example.org/meetup")

        receipt = x_adapter.publish(post())

        assert receipt.remote_id == earlier.id
        assert [c.operation for c in fake_x.calls()] == ["publish", "whoami", "look_back"]

    def test_look_back_matches_the_thread_position(self, fake_x: FakeX, x_adapter: Adapter) -> None:
        root = fake_x.add_tweet("1/2 Tonight")
        fake_x.add_tweet("2/2 See you")  # same text, but not a reply to this thread's root

        assert x_adapter.look_back(post("2/2 See you", reply_to=root.id)) is None
        reply = fake_x.add_tweet("2/2 See you", reply_to=root.id)
        found = x_adapter.look_back(post("2/2 See you", reply_to=root.id))
        assert found is not None
        assert found.remote_id == reply.id

    def test_look_back_ignores_posts_older_than_the_schedule(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        now = datetime.now(UTC)
        fake_x.add_tweet("Same words as last week", created_at=now - timedelta(days=7))

        assert x_adapter.look_back(post("Same words as last week", scheduled_at=now)) is None
        assert x_adapter.look_back(post("Same words as last week")) is not None

    def test_look_back_is_not_reliable(self, x_adapter: Adapter) -> None:
        assert x_adapter.look_back_reliable is False

    @pytest.mark.parametrize(
        ("ours", "stored", "same"),
        [
            (
                "Tickets: https://example.org/t?id=1 & more",
                "Tickets: https://t.co/a1 &amp; more",
                True,
            ),
            ("See example.org now", "See https://t.co/b2 now", True),
            ("Photo of the room", "Photo of the room https://t.co/m3", True),
            ("Café\n\nopen", "Cafe\u0301 open", True),
            ("Doors at 19:00", "Doors at 20:00", False),
        ],
    )
    def test_texts_compare_despite_x_rewriting(self, ours: str, stored: str, same: bool) -> None:
        assert (comparable(ours) == comparable(stored)) is same


class TestCredentials:
    def test_check_returns_the_handle(self, x_adapter: Adapter) -> None:
        assert x_adapter.check_credentials() == "@campaignbot"

    def test_partial_credentials_name_only_what_is_missing(self, fake_x: FakeX) -> None:
        env = fake_x.env()
        del env["CAMPAIGN_TWITTER_ACCESS_SECRET"]

        with pytest.raises(ConfigurationError, match="CAMPAIGN_TWITTER_ACCESS_SECRET") as caught:
            connect(SPEC.name, env)
        assert "CAMPAIGN_TWITTER_API_KEY" not in str(caught.value)

    def test_bad_api_url_is_a_configuration_error(self, fake_x: FakeX) -> None:
        with pytest.raises(ConfigurationError, match="CAMPAIGN_TWITTER_API_URL"):
            connect(SPEC.name, fake_x.env(CAMPAIGN_TWITTER_API_URL="api.x.com"))

    def test_settings_come_from_dotenv_when_no_mapping_is_given(
        self, fake_x: FakeX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for variable in fake_x.env():
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.chdir(tmp_path)
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in fake_x.env().items()))

        assert connect(SPEC.name, None).check_credentials() == "@campaignbot"

    def test_signing_before_rebasing_is_what_makes_the_signature_valid(self, fake_x: FakeX) -> None:
        """A transport adapter that rewrites the host after signing gets a 401 from the fake:
        the signature covers api.twitter.com, not the URL requested."""

        class RewriteAfterSigning(HTTPAdapter):
            def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
                request.url = str(request.url).replace("https://api.twitter.com", fake_x.url)
                return super().send(request, **kwargs)

        creds = fake_x.credentials
        client = tweepy.Client(
            consumer_key=creds.api_key,
            consumer_secret=creds.api_secret,
            access_token=creds.access_token,
            access_token_secret=creds.access_secret,
        )
        client.session.mount("https://api.twitter.com", RewriteAfterSigning())

        with pytest.raises(tweepy.Unauthorized):
            client.get_me(user_auth=True)


class TestMediaChecks:
    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("empty.png", b"", "not a valid PNG file"),
            ("scan.bmp", b"BM" + b"\x00" * 60, "is a BMP file; X takes JPEG, PNG, WebP or GIF"),
            ("notes.txt", b"just words", "is not an image X takes"),
            (
                "huge.png",
                png_bytes()[:-12] + b"\x00" * (5 * 1024 * 1024) + png_bytes()[-12:],
                "X takes at most 5 MB",
            ),
        ],
    )
    def test_bad_image_is_refused_before_anything_is_sent(
        self,
        fake_x: FakeX,
        x_adapter: Adapter,
        tmp_path: Path,
        name: str,
        data: bytes,
        message: str,
    ) -> None:
        media = Image.of(str(tmp_path / name), data, "A picture")

        with pytest.raises(PermanentError, match=message):
            x_adapter.publish(post(media=(media,)))
        assert fake_x.calls() == []

    @pytest.mark.parametrize(
        ("alt", "message"),
        [("a" * 1001, "has 1001 characters; X takes at most 1000")],
    )
    def test_alt_text_is_required_and_bounded(
        self, fake_x: FakeX, x_adapter: Adapter, tmp_path: Path, alt: str, message: str
    ) -> None:
        with pytest.raises(PermanentError, match=message):
            x_adapter.publish(post(media=(image(tmp_path, png_bytes(), alt=alt),)))
        assert fake_x.calls() == []

    def test_gif_must_be_alone(self, fake_x: FakeX, x_adapter: Adapter, tmp_path: Path) -> None:
        media = (image(tmp_path, gif_bytes(), "a.gif"), image(tmp_path, png_bytes(), "b.png"))

        with pytest.raises(PermanentError, match="GIF only on its own"):
            x_adapter.publish(post(media=media))
        assert fake_x.calls() == []
