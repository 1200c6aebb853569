"""What only the Mastodon adapter does, with the real Mastodon.py talking over a socket to the
fake instance. What every adapter does is tested once for all in
``tests/test_adapter_contract.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from campaign.adapters._mastodon_adapter import MastodonAdapter, comparable, text_of
from campaign.adapters._mastodon_media import CHECK_SECONDS, MAX_CHECKS
from campaign.adapters._mastodon_metrics import RESERVE
from campaign.adapters.base import Outgoing
from campaign.adapters.mastodon import MastodonSettings
from campaign.adapters.registry import connect
from campaign.errors import (
    ConfigurationError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from campaign.platforms.images import Image
from campaign.platforms.mastodon import IMAGES, SPEC, MastodonLimits
from tests.fakes.mastodon_api import TOKEN, FakeMastodon, to_html
from tests.fakes.x_fixtures import png_bytes

TIMEOUT = "0.3"
TEXT = "Doors open at 19:00 https://example.org/meetups/2024/spring-edition-details"


def env(fake: FakeMastodon, **extra: str) -> dict[str, str]:
    return fake.env(CAMPAIGN_MASTODON_TIMEOUT_SECONDS=TIMEOUT, **extra)


def post(text: str = TEXT, post_id: str = "p-1", **kwargs: object) -> Outgoing:
    return Outgoing(post_id=post_id, text=text, **kwargs)


def image(tmp_path: Path, name: str = "photo.png", alt: str = "A full room") -> Image:
    path = tmp_path / name
    path.write_bytes(png_bytes())
    return Image.of(str(path), path.read_bytes(), alt)


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon() as server:
        yield server


@pytest.fixture
def naps() -> list[float]:
    """The adapter's sleeps, recorded instead of slept."""
    return []


def make_adapter(fake: FakeMastodon, naps: list[float], **extra: str) -> MastodonAdapter:
    settings = MastodonSettings.load(env(fake, **extra))
    return MastodonAdapter(settings, sleep=naps.append, clock=fake.now)


@pytest.fixture
def adapter(fake: FakeMastodon, naps: list[float]) -> Iterator[MastodonAdapter]:
    live = make_adapter(fake, naps)
    yield live
    live.close()


class TestPublish:
    def test_single_post_carries_our_post_id_as_idempotency_key(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        receipt = adapter.publish(post())

        [status] = fake.statuses
        assert status["visibility"] == "public"
        assert receipt.url == f"{fake.url}/@campaign/{status['id']}"
        [call] = fake.calls("publish")
        assert call.headers["Idempotency-Key"] == "p-1"
        assert call.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_publishing_asks_the_instance_nothing_else_not_even_its_version(
        self, fake: FakeMastodon
    ) -> None:
        live = connect("mastodon", env(fake))

        assert isinstance(live, MastodonAdapter)
        live.publish(post())
        assert [c.operation for c in fake.calls()] == ["publish"]

    def test_images_are_uploaded_with_alt_text_and_attached_in_order(
        self, fake: FakeMastodon, adapter: MastodonAdapter, tmp_path: Path
    ) -> None:
        media = (
            image(tmp_path, "room.png", "Forty people in a small room"),
            image(tmp_path, "stage.png", "A speaker at a lectern"),
        )

        adapter.publish(post(media=media))

        [status] = fake.statuses
        assert [m["description"] for m in status["media_attachments"]] == [
            "Forty people in a small room",
            "A speaker at a lectern",
        ]
        assert [m["mime_type"] for m in fake.media.values()] == ["image/png", "image/png"]
        assert all(m["size"] == len(png_bytes()) for m in fake.media.values())

    def test_image_processed_in_the_background_is_awaited_before_posting(
        self, fake: FakeMastodon, adapter: MastodonAdapter, naps: list[float], tmp_path: Path
    ) -> None:
        fake.async_media_checks = 2  # 202 on upload, then 206 twice, then 200

        adapter.publish(post(media=(image(tmp_path),)))

        assert len(fake.calls("media_status")) == 3
        assert naps == [CHECK_SECONDS] * 3
        [status] = fake.statuses
        assert status["media_attachments"][0]["url"]

    def test_image_never_processed_is_retried_later_without_posting(
        self, fake: FakeMastodon, adapter: MastodonAdapter, naps: list[float], tmp_path: Path
    ) -> None:
        fake.async_media_checks = MAX_CHECKS + 5

        with pytest.raises(RetryableError, match=r"still processing image photo.png"):
            adapter.publish(post(media=(image(tmp_path),)))

        assert len(naps) == MAX_CHECKS
        assert fake.statuses == []

    def test_image_the_instance_cannot_process_is_permanent(
        self, fake: FakeMastodon, adapter: MastodonAdapter, tmp_path: Path
    ) -> None:
        fake.async_media_checks = 1
        fake.media_fails = True

        with pytest.raises(PermanentError, match="Error processing thumbnail"):
            adapter.publish(post(media=(image(tmp_path),)))
        assert fake.statuses == []

    @pytest.mark.parametrize("visibility", ["unlisted", "private", "direct"])
    def test_visibility_comes_from_the_settings(
        self, fake: FakeMastodon, naps: list[float], visibility: str
    ) -> None:
        live = make_adapter(fake, naps, CAMPAIGN_MASTODON_VISIBILITY=visibility)

        live.publish(post())

        assert fake.statuses[0]["visibility"] == visibility


class TestErrors:
    def test_refused_token_says_how_to_make_a_new_one(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.token = "another-token"

        with pytest.raises(PermanentError) as caught:
            adapter.publish(post())

        message = str(caught.value)
        assert "The access token is invalid" in message
        assert "Preferences > Development" in message
        assert "write:statuses" in message
        assert "write:media" in message
        assert fake.statuses == []

    def test_missing_scope_is_permanent_and_names_the_scopes(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.scopes = {"read"}

        with pytest.raises(PermanentError, match=r"lacks a scope.*write:statuses"):
            adapter.publish(post())
        assert fake.statuses == []

    def test_text_over_the_limit_is_permanent_and_says_to_shorten(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        with pytest.raises(
            PermanentError, match=r"501 characters .*Mastodon takes at most 500.*shorten"
        ):
            adapter.publish(post("x" * 501))
        assert [call.operation for call in fake.calls()] == ["instance"]  # only its limits

    def test_a_server_that_takes_more_is_asked_and_the_longer_post_goes_out(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.max_characters, fake.url_length = 1000, 30
        adapter.publish(post("x" * 900 + " https://example.org/" + "y" * 100))
        adapter.publish(post("x" * 950, post_id="p-2"))

        assert [c.operation for c in fake.calls()] == ["instance", "publish", "publish"]
        with pytest.raises(PermanentError, match=r"1001 characters .*at most 1000"):
            adapter.publish(post("x" * 1001, post_id="p-3"))

    def test_the_server_limits_are_read_from_its_v2_instance(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.max_characters, fake.url_length, fake.domain = 1000, 30, "eupolicy.social"

        limits = adapter.read_limits()

        assert limits == MastodonLimits(
            max_characters=1000,
            characters_reserved_per_url=30,
            image_matrix_limit=33177600,
            supported_mime_types=("image/gif", "image/jpeg", "image/png", "image/webp"),
            server="eupolicy.social",
        )
        assert limits.read_at is not None
        assert fake.calls()[-1].path == "/api/v2/instance"

    def test_url_counts_as_23_so_a_long_url_fits(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        text = "x" * 476 + " https://example.org/" + "a" * 200  # 476 + 1 + 23 = 500

        assert SPEC.count(text) == 500
        adapter.publish(post(text))
        assert len(fake.statuses) == 1

    def test_reply_to_a_deleted_status_is_permanent(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        with pytest.raises(PermanentError, match="does not appear to exist"):
            adapter.publish(post(reply_to="999", thread_root="999"))

    @pytest.mark.parametrize(
        ("kind", "reason"),
        [("drop", "connection closed"), ("stall", "timed out waiting")],
    )
    def test_answer_lost_after_sending_is_an_unknown_outcome_saying_why(
        self, fake: FakeMastodon, adapter: MastodonAdapter, kind: str, reason: str
    ) -> None:
        fake.fault("publish", kind)

        with pytest.raises(OutcomeUnknown, match=reason):
            adapter.publish(post())

        assert len(fake.statuses) == 1  # it did go out

    def test_unreadable_answer_to_the_status_request_is_an_unknown_outcome(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.reset_header = "soon"  # Mastodon.py cannot parse it, even on a 200

        with pytest.raises(OutcomeUnknown, match="may have published"):
            adapter.publish(post())
        assert len(fake.statuses) == 1


class TestMediaChecks:
    @pytest.mark.parametrize(
        ("name", "data", "alt", "message"),
        [
            ("cut.png", png_bytes()[:-6], "A room", "cut short"),
            ("room.png", png_bytes(), "x" * (IMAGES.max_alt + 1), "shorten it"),
            ("huge.png", "17 MB", "A crowd", r"17.0 MB; Mastodon (\(\S+\) )?takes at most 16 MB"),
        ],
    )
    def test_bad_image_is_refused_before_any_request(
        self,
        fake: FakeMastodon,
        adapter: MastodonAdapter,
        tmp_path: Path,
        name: str,
        data: bytes | str | None,
        alt: str,
        message: str,
    ) -> None:
        path = tmp_path / name
        if data == "17 MB":  # a complete PNG padded inside, built here to keep it out of memory
            data = png_bytes()[:-12] + bytes(17 << 20) + png_bytes()[-12:]
        if isinstance(data, bytes):
            path.write_bytes(data)

        with pytest.raises(PermanentError, match=message):
            adapter.publish(post(media=(Image.of(str(path), path.read_bytes(), alt),)))
        assert [c.operation for c in fake.calls()] == ["instance"]  # only its limits

    def test_more_than_four_images_are_refused_before_any_request(
        self, fake: FakeMastodon, adapter: MastodonAdapter, tmp_path: Path
    ) -> None:
        media = tuple(image(tmp_path, f"{n}.png") for n in range(5))

        with pytest.raises(PermanentError, match="at most 4 images"):
            adapter.publish(post(media=media))
        assert [c.operation for c in fake.calls()] == ["instance"]  # only its limits


class TestLookBack:
    def test_dropped_answer_then_look_back_finds_the_original_by_key(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.fault("publish", "drop")
        sent = post(scheduled_at=fake.now())
        with pytest.raises(OutcomeUnknown):
            adapter.publish(sent)

        found = adapter.look_back(sent)

        [status] = fake.statuses
        assert found is not None
        assert found.remote_id == status["id"]
        probe = fake.calls("publish")[-1]
        assert probe.headers["Idempotency-Key"] == "p-1"
        assert fake.calls("look_back") == []

    def test_after_the_key_expired_the_status_is_found_by_its_text(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        text = f"Q&A <tonight> with @ada@example.social #python\n\n{TEXT}\nSee you!"
        root = adapter.publish(post("1/2 Start", "t-1"))
        sent = post(text, "t-2", reply_to=root.remote_id, scheduled_at=fake.now())
        adapter.publish(sent)
        fake.advance(2 * 3600)

        found = adapter.look_back(sent)

        assert found is not None
        assert found.remote_id == fake.statuses[1]["id"]
        assert len(fake.statuses) == 2

    def test_text_search_reads_further_pages_back_to_the_scheduled_time(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        sent = post(scheduled_at=fake.now())
        original = adapter.publish(sent)
        for n in range(45):
            adapter.publish(post(f"Later post {n}", f"later-{n}"))
        fake.advance(2 * 3600)

        found = adapter.look_back(sent)

        assert found == original
        assert len(fake.calls("look_back")) == 2

    def test_same_text_replying_elsewhere_is_not_the_post(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        adapter.publish(post(scheduled_at=fake.now()))
        fake.advance(2 * 3600)
        reply = post(reply_to=fake.statuses[0]["id"], scheduled_at=fake.now() - timedelta(hours=2))

        with pytest.raises(OutcomeUnknown, match="check the account"):
            adapter.look_back(reply)

    def test_after_the_key_expired_not_finding_it_proves_nothing(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        sent = post(scheduled_at=fake.now())
        fake.advance(2 * 3600)

        with pytest.raises(OutcomeUnknown, match="one hour"):
            adapter.look_back(sent)
        assert fake.statuses == []

    def test_look_back_is_declared_reliable(self) -> None:
        assert MastodonAdapter.look_back_reliable is True


class TestText:
    def test_rendered_html_compares_equal_to_the_text_it_came_from(self) -> None:
        text = f'Q&A <b> "quoted" @ada@example.social #tag\n\n{TEXT}\nbye'

        assert comparable(text_of(to_html(text, "https://example.social"))) == comparable(text)

    def test_different_text_does_not_compare_equal(self) -> None:
        rendered = text_of(to_html("Doors open at 19:00", "https://example.social"))

        assert comparable(rendered) != comparable("Doors open at 20:00")


class TestCredentials:
    def test_check_credentials_returns_the_handle(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        assert adapter.check_credentials() == "@campaign@127.0.0.1"
        assert [c.operation for c in fake.calls()] == ["whoami"]

    def test_check_credentials_with_a_refused_token_says_what_to_do(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        fake.token = "rotated"

        with pytest.raises(PermanentError, match="Preferences > Development"):
            adapter.check_credentials()

    @pytest.mark.parametrize(
        ("variable", "value", "message"),
        [
            ("CAMPAIGN_MASTODON_VISIBILITY", "everyone", "'public', 'unlisted'"),
            ("CAMPAIGN_MASTODON_API_BASE_URL", "mastodon.social", "https://mastodon.social"),
            ("CAMPAIGN_MASTODON_TIMEOUT_SECONDS", "0", "greater than 0"),
        ],
    )
    def test_bad_setting_is_named_with_what_to_use(
        self, fake: FakeMastodon, variable: str, value: str, message: str
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            connect(SPEC.name, {**env(fake), variable: value})

        assert variable in str(caught.value)
        assert message in str(caught.value)


class TestEngagementReserve:
    def test_reads_stop_short_of_the_rate_limit_leaving_requests_for_posts(
        self, fake: FakeMastodon, adapter: MastodonAdapter
    ) -> None:
        status = adapter.publish(post()).remote_id
        fake.remaining = RESERVE  # the next answer says RESERVE - 1 are left
        adapter.engagement([status])
        with pytest.raises(RateLimited) as caught:
            adapter.engagement([status])
        assert caught.value.reset_at is not None
        assert len(fake.calls("metrics")) == 1  # the second read was never sent
        assert adapter.publish(post("Still goes out", "p-2")).remote_id  # posts are not held
