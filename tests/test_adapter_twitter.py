"""The X adapter, with the real tweepy talking over a socket to the fake X API."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy
from requests.adapters import HTTPAdapter

from campaign.adapters._x_adapter import XAdapter, comparable
from campaign.adapters.base import Adapter, Outgoing
from campaign.adapters.registry import connect
from campaign.adapters.twitter import XSettings
from campaign.errors import (
    ConfigurationError,
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RetryableError,
)
from campaign.platforms.images import Image
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
    def test_single_post_returns_the_receipt_of_the_created_post(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        receipt = x_adapter.publish(post())

        [tweet] = fake_x.tweets
        assert tweet.text == "Doors open at 19:00 https://example.org/meetup"
        assert receipt.remote_id == tweet.id
        assert receipt.url == f"https://x.com/i/web/status/{tweet.id}"
        assert tweet.reply_to is None

    def test_thread_parts_each_reply_to_the_previous_part(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        first = x_adapter.publish(post("1/3 We meet tonight", post_id="t-1"))
        second = x_adapter.publish(
            post(
                "2/3 Talks start at 19:30",
                post_id="t-2",
                reply_to=first.remote_id,
                thread_root=first.remote_id,
            )
        )
        third = x_adapter.publish(
            post(
                "3/3 Pizza after",
                post_id="t-3",
                reply_to=second.remote_id,
                thread_root=first.remote_id,
            )
        )

        assert [t.id for t in fake_x.tweets] == [r.remote_id for r in (first, second, third)]
        assert [t.reply_to for t in fake_x.tweets] == [None, first.remote_id, second.remote_id]

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
        assert [path for _, path in fake_x.requests] == [
            "/2/media/upload",
            "/2/media/metadata/create",
            "/2/tweets",
        ]

    def test_gif_waits_until_x_has_processed_it(self, fake_x: FakeX, tmp_path: Path) -> None:
        waits: list[float] = []
        adapter = XAdapter(XSettings.load(fake_x.env()), sleep=waits.append)
        adapter.publish(post(media=(image(tmp_path, gif_bytes(), "dance.gif"),)))

        [uploaded] = fake_x.media.values()
        assert (uploaded.category, uploaded.status_checks, waits) == ("tweet_gif", 1, [0.0])
        assert fake_x.tweets[0].media_ids == [uploaded.id]


class TestErrors:
    @pytest.mark.parametrize(
        ("route", "fault", "error"),
        [
            ("create_tweet", "server_error", RetryableError),
            ("create_tweet", "rate_limit", RateLimited),
            ("create_tweet", "drop", OutcomeUnknown),
            ("create_tweet", "reject", PermanentError),
            ("media_upload", "server_error", RetryableError),
            ("media_upload", "drop", RetryableError),  # an orphan upload creates no post
            ("media_upload", "reject", PermanentError),
            ("media_metadata", "rate_limit", RateLimited),
        ],
    )
    def test_fault_maps_to_error_class(
        self,
        fake_x: FakeX,
        x_adapter: Adapter,
        tmp_path: Path,
        route: str,
        fault: str,
        error: type[PublishError],
    ) -> None:
        fake_x.inject(route, fault)  # type: ignore[arg-type]

        with pytest.raises(error) as caught:
            x_adapter.publish(post(media=(image(tmp_path, png_bytes()),)))

        assert type(caught.value) is error
        created = len(fake_x.tweets)
        assert created == (1 if fault == "drop" and route == "create_tweet" else 0)

    def test_rate_limit_carries_the_reset_time_from_the_header(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.rate_limit_reset = 1_900_000_000
        fake_x.inject("create_tweet", "rate_limit")

        with pytest.raises(RateLimited) as caught:
            x_adapter.publish(post())

        assert caught.value.reset_at == datetime.fromtimestamp(1_900_000_000, UTC)
        assert "2030-03-17 17:46:40 UTC" in str(caught.value)

    def test_connection_refused_is_retryable(self, fake_x: FakeX) -> None:
        with socket.socket() as sock:  # a port nobody listens on once closed
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        adapter = connect(
            SPEC.name, fake_x.env(CAMPAIGN_TWITTER_API_URL=f"http://127.0.0.1:{port}")
        )

        with pytest.raises(RetryableError, match="connection refused"):
            adapter.publish(post())

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
        assert fake_x.requests == []

    def test_duplicate_not_on_the_timeline_is_permanent(
        self, fake_x: FakeX, x_adapter: Adapter
    ) -> None:
        fake_x.add_tweet("Doors open at 19:00 https://example.org/meetup")
        fake_x.timeline_visible = False  # X has not listed it yet

        with pytest.raises(PermanentError, match="duplicates a recent post"):
            x_adapter.publish(post())
        assert len(fake_x.tweets) == 1


class TestDuplicatesAndLookBack:
    def test_duplicate_returns_the_existing_post(self, fake_x: FakeX, x_adapter: Adapter) -> None:
        earlier = fake_x.add_tweet("Doors open at 19:00 https://example.org/meetup")

        receipt = x_adapter.publish(post())

        assert receipt.remote_id == earlier.id
        assert len(fake_x.tweets) == 1
        assert [path for _, path in fake_x.requests][-2:] == [
            "/2/users/me",
            f"/2/users/{fake_x.user_id}/tweets",
        ]

    def test_lost_answer_is_found_by_look_back(self, fake_x: FakeX, x_adapter: Adapter) -> None:
        fake_x.inject("create_tweet", "drop")
        with pytest.raises(OutcomeUnknown):
            x_adapter.publish(post())

        found = x_adapter.look_back(post())

        assert found is not None
        assert found.remote_id == fake_x.tweets[0].id

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

    def test_missing_credentials_name_every_variable_before_any_request(
        self, fake_x: FakeX
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            connect(SPEC.name, {"CAMPAIGN_TWITTER_API_URL": fake_x.url})

        assert all(variable in str(caught.value) for variable in VARIABLES)
        assert fake_x.requests == []

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
            ("cut.png", png_bytes()[:-20], "not a valid PNG file"),
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
        assert fake_x.requests == []

    @pytest.mark.parametrize(
        ("alt", "message"),
        [("  ", "has no alt text"), ("a" * 1001, "has 1001 characters; X takes at most 1000")],
    )
    def test_alt_text_is_required_and_bounded(
        self, fake_x: FakeX, x_adapter: Adapter, tmp_path: Path, alt: str, message: str
    ) -> None:
        with pytest.raises(PermanentError, match=message):
            x_adapter.publish(post(media=(image(tmp_path, png_bytes(), alt=alt),)))
        assert fake_x.requests == []

    def test_gif_must_be_alone(self, fake_x: FakeX, x_adapter: Adapter, tmp_path: Path) -> None:
        media = (image(tmp_path, gif_bytes(), "a.gif"), image(tmp_path, png_bytes(), "b.png"))

        with pytest.raises(PermanentError, match="GIF only on its own"):
            x_adapter.publish(post(media=media))
        assert fake_x.requests == []


def test_no_secret_reaches_logs_output_or_errors(
    fake_x: FakeX,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = fake_x.credentials.values()
    adapter = connect(SPEC.name, fake_x.env())
    messages = [adapter.check_credentials(), repr(adapter)]
    adapter.publish(post(media=(image(tmp_path, png_bytes()),)))
    adapter.publish(post())  # duplicate: look-back path
    for route, fault in [("create_tweet", "drop"), ("create_tweet", "rate_limit")]:
        fake_x.inject(route, fault)  # type: ignore[arg-type]
        with pytest.raises(PublishError) as caught:
            adapter.publish(post("another"))
        messages.append(str(caught.value))
    fake_x.set_credentials(api_secret="changed")
    with pytest.raises(PermanentError) as refused:
        adapter.check_credentials()
    messages.append(str(refused.value))
    messages.append(repr(XSettings.load(fake_x.env())))

    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *messages])
    assert "DEBUG" in caplog.text  # debug logging really was on
    for secret in secrets:
        assert secret not in everything
