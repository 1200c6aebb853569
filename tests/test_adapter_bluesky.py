"""What only the Bluesky adapter does, with the real atproto client talking over a socket to
the fake PDS. What every adapter does is tested once for all in
``tests/test_adapter_contract.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.adapters import registry
from campaign.adapters._bluesky_records import record_key
from campaign.adapters.base import Adapter, Outgoing
from campaign.errors import (
    ConfigurationError,
    OutcomeUnknown,
    PermanentError,
    PublishError,
    RateLimited,
    RetryableError,
)
from campaign.platforms.bluesky import SPEC, LinkCard
from campaign.platforms.images import Image
from campaign.platforms.registry import platform
from tests.fakes.bluesky_api import (
    TID,
    FakeBluesky,
    FakeRecord,
    tid_to_micros,
)
from tests.fakes.og_site import png as png_bytes

WHEN = datetime(2025, 9, 26, 7, 0, tzinfo=UTC)
TEXT = "Den Haag – 26 září #DarkWeb https://example.org/darkweb"
Connect = Callable[..., Adapter]


@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky() as fake:
        fake.handles["alice.test"] = "did:plc:alice0000000000000000000"
        yield fake


@pytest.fixture
def connect(pds: FakeBluesky) -> Iterator[Connect]:
    """Connect adapters to the fake (``connect(CAMPAIGN_BLUESKY_X="…")``); closed afterwards."""
    made: list[Adapter] = []

    def make(**overrides: str) -> Adapter:
        made.append(registry.connect(SPEC.name, pds.env(**overrides)))
        return made[-1]

    yield make
    for adapter in made:
        adapter.close()


@pytest.fixture
def adapter(connect: Connect) -> Adapter:
    return connect()


def post(text: str = TEXT, post_id: str = "p-1", **kwargs: Any) -> Outgoing:
    return Outgoing(post_id=post_id, text=text, scheduled_at=kwargs.pop("at", WHEN), **kwargs)


def image(tmp_path: Path, name: str = "room.png", alt: str = "A full room", **kw: Any) -> Image:
    path = tmp_path / name
    path.write_bytes(kw.get("data", png_bytes()))
    return Image.of(str(path), path.read_bytes(), alt)


def only_record(pds: FakeBluesky) -> FakeRecord:
    [record] = pds.records.values()
    return record


def facet_texts(record: FakeRecord) -> dict[str, str]:
    """Each facet's feature type mapped to the text its UTF-8 byte range covers."""
    raw = record.value["text"].encode()
    found = {}
    for facet in record.value.get("facets", []):
        index = facet["index"]
        kind = facet["features"][0]["$type"].rsplit("#", 1)[-1]
        found[kind] = raw[index["byteStart"] : index["byteEnd"]].decode()
    return found


class TestPublish:
    def test_post_is_created_under_its_record_key_with_its_public_address(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        receipt = adapter.publish(post())

        key = record_key("p-1", WHEN)
        record = pds.records[key]
        assert record.value["text"] == "Den Haag – 26 září #DarkWeb example.org/darkweb"
        assert receipt.remote_id == f"at://{pds.did}/app.bsky.feed.post/{key}#{record.cid}"
        assert receipt.url == f"https://bsky.app/profile/campaign.test/post/{key}"
        assert record.cid.startswith("bafyrei")

    def test_tag_and_link_facets_use_utf8_byte_offsets(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        adapter.publish(post())

        record = only_record(pds)
        # "Den Haag – 26 září " is 19 characters but 24 bytes: an offset in characters is wrong
        [tag] = [f for f in record.value["facets"] if "tag" in f["features"][0]]
        assert (tag["index"]["byteStart"], tag["index"]["byteEnd"]) == (24, 32)
        assert facet_texts(record) == {"tag": "#DarkWeb", "link": "example.org/darkweb"}
        assert tag["features"][0]["tag"] == "DarkWeb"
        [link] = [f for f in record.value["facets"] if "uri" in f["features"][0]]
        assert link["features"][0]["uri"] == "https://example.org/darkweb"

    def test_a_tracked_link_shows_short_and_its_facet_carries_the_whole_url(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        tracked = "https://www.media4sec.eu/events/dark-web-workshop/?" + "&".join(
            f"utm_{key}=darkweb-2017-{key}" for key in ("source", "medium", "campaign", "content")
        )
        text = "Déjà vu? " + "x" * 250 + f" {tracked}"  # 300+ graphemes with the whole URL
        adapter.publish(post(text))

        record = only_record(pds)
        assert record.value["text"].endswith(" www.media4sec.eu/events/dark-…")
        [link] = record.value["facets"]
        assert link["features"][0]["uri"] == tracked
        assert facet_texts(record) == {"link": "www.media4sec.eu/events/dark-…"}

    def test_mention_carries_the_did_and_an_unknown_handle_stays_plain_text(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        adapter.publish(post("Merci @alice.test et @nobody.test 👋🏽 à bientôt"))

        record = only_record(pds)
        [mention] = record.value["facets"]
        assert mention["features"][0] == {
            "did": "did:plc:alice0000000000000000000",
            "$type": "app.bsky.richtext.facet#mention",
        }
        assert facet_texts(record) == {"mention": "@alice.test"}

    def test_the_card_read_at_schedule_is_embedded_with_its_thumbnail_blob(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        thumb = Image.of("https://example.org/og.png", png_bytes(50), "")
        card = LinkCard("https://example.org/darkweb", "Dark Web", "A workshop", thumb)
        adapter.publish(post(card=card))

        external = only_record(pds).value["embed"]["external"]
        assert (external["uri"], external["title"], external["description"]) == (
            "https://example.org/darkweb",
            "Dark Web",
            "A workshop",
        )
        blob = pds.blobs[external["thumb"]["ref"]["$link"]]
        assert blob.data == thumb.data

    @pytest.mark.parametrize(
        "card", [None, LinkCard("https://example.org/darkweb", readable=False, note="404")]
    )
    def test_without_a_readable_card_the_post_has_a_plain_link(
        self, pds: FakeBluesky, adapter: Adapter, card: LinkCard | None
    ) -> None:
        adapter.publish(post(card=card))

        record = only_record(pds)
        assert "embed" not in record.value
        assert facet_texts(record)["link"] == "example.org/darkweb"

    def test_link_card_can_be_turned_off(self, pds: FakeBluesky, connect: Connect) -> None:
        adapter = connect(CAMPAIGN_BLUESKY_LINK_CARD="false")
        assert adapter.card_link(TEXT) is None
        adapter.publish(post(card=LinkCard("https://example.org/darkweb", "Dark Web")))

        record = only_record(pds)
        assert "embed" not in record.value
        assert facet_texts(record)["link"] == "example.org/darkweb"

    def test_three_part_thread_names_root_and_parent(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        first = adapter.publish(post("1/3 We meet in Den Haag", post_id="t-1"))
        second = adapter.publish(
            post("2/3 Talks at 9:30", "t-2", reply_to=first.remote_id, thread_root=first.remote_id)
        )
        third = adapter.publish(
            post("3/3 Coffee after", "t-3", reply_to=second.remote_id, thread_root=first.remote_id)
        )

        parts = [pds.records[record_key(n, WHEN)] for n in ("t-1", "t-2", "t-3")]
        assert [f"{p.uri}#{p.cid}" for p in parts] == [r.remote_id for r in (first, second, third)]
        assert "reply" not in parts[0].value
        root = {"uri": parts[0].uri, "cid": parts[0].cid}
        for part, parent in ((parts[1], parts[0]), (parts[2], parts[1])):
            reply = part.value["reply"]
            assert {k: reply["root"][k] for k in ("uri", "cid")} == root
            assert {k: reply["parent"][k] for k in ("uri", "cid")} == {
                "uri": parent.uri,
                "cid": parent.cid,
            }

    def test_images_are_uploaded_and_embedded_with_alt_text_instead_of_a_card(
        self, pds: FakeBluesky, adapter: Adapter, tmp_path: Path
    ) -> None:
        media = (
            image(tmp_path, "a.png", "Forty people in a small room"),
            image(tmp_path, "b.png", "The speaker at the lectern", data=png_bytes(10)),
        )
        adapter.publish(post(media=media))

        embed = only_record(pds).value["embed"]
        assert embed["$type"] == "app.bsky.embed.images"
        assert [i["alt"] for i in embed["images"]] == [m.alt for m in media]
        blobs = [pds.blobs[i["image"]["ref"]["$link"]] for i in embed["images"]]
        assert [b.data for b in blobs] == [m.data for m in media]
        assert {b.mime_type for b in blobs} == {"image/png"}
        assert len(pds.calls("upload_media")) == 2

    def test_an_expired_session_is_replaced_once_by_logging_in_again(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        adapter.publish(post(post_id="a"))
        pds.expire_sessions()

        adapter.publish(post(post_id="b"))

        assert len(pds.records) == 2
        assert len(pds.calls("login")) == 2

    def test_a_short_lived_token_is_refreshed_by_the_client(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        pds.access_ttl = 60  # atproto refreshes when fewer than 15 minutes remain

        adapter.publish(post(post_id="a"))
        adapter.publish(post(post_id="b"))

        assert len(pds.records) == 2
        assert len(pds.calls("refresh_session")) >= 1
        assert len(pds.calls("login")) == 1


class TestRecordKey:
    def test_is_a_tid_dated_within_the_scheduled_second(self) -> None:
        key = record_key("p-1", WHEN)

        assert TID.match(key)
        assert tid_to_micros(key) // 1_000_000 == int(WHEN.timestamp())

    def test_same_post_same_key_and_others_in_the_same_second_differ(self) -> None:
        keys = {record_key(f"p-{n}", WHEN + timedelta(microseconds=n)) for n in range(2000)}

        assert record_key("p-1", WHEN) == record_key("p-1", WHEN + timedelta(milliseconds=500))
        assert len(keys) == 2000

    @given(
        st.text(min_size=1, max_size=40),
        st.datetimes(datetime(2000, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
    )
    def test_any_post_and_time_give_a_valid_tid_that_sorts_by_time(
        self, post_id: str, when: datetime
    ) -> None:
        key = record_key(post_id, when)

        assert TID.match(key)
        assert tid_to_micros(key) // 1_000_000 == int(when.timestamp() // 1)
        assert record_key(post_id, when + timedelta(seconds=1)) > key


class TestExactlyOnce:
    @pytest.mark.parametrize("conflict_status", [400, 500])  # 409: the contract test
    def test_a_pds_refusing_the_existing_key_otherwise_still_means_already_there(
        self, pds: FakeBluesky, adapter: Adapter, conflict_status: int
    ) -> None:
        pds.conflict_status = conflict_status
        first = adapter.publish(post())

        again = adapter.publish(post())

        assert again == first
        assert len(pds.records) == 1
        assert len(pds.calls("publish")) == 2


class TestErrors:
    @pytest.mark.parametrize(
        ("operation", "fault", "error", "message"),
        [
            ("publish", "reject", PermanentError, "Invalid app.bsky.feed.post record"),
            ("publish", "drop_before", OutcomeUnknown, "may have published"),
            ("upload_media", "drop", RetryableError, "upload image room.png"),
            ("login", "server_error", RetryableError, "log in"),
            ("login", "rate_limit", RateLimited, "log in"),
        ],
    )
    def test_fault_maps_to_error_class_and_says_what_failed(
        self,
        pds: FakeBluesky,
        adapter: Adapter,
        tmp_path: Path,
        operation: str,
        fault: str,
        error: type[PublishError],
        message: str,
    ) -> None:
        pds.fault(operation, fault)

        with pytest.raises(error, match=message):
            adapter.publish(post(media=(image(tmp_path),)))

        assert pds.records == {}

    def test_read_timeout_on_create_is_outcome_unknown(
        self, pds: FakeBluesky, connect: Connect
    ) -> None:
        adapter = connect(CAMPAIGN_BLUESKY_TIMEOUT_SECONDS="0.3")
        pds.fault("publish", "stall")

        with pytest.raises(OutcomeUnknown, match="timed out waiting for the answer"):
            adapter.publish(post())

    def test_read_timeout_on_look_back_is_retryable(
        self, pds: FakeBluesky, connect: Connect
    ) -> None:
        adapter = connect(CAMPAIGN_BLUESKY_TIMEOUT_SECONDS="0.3")
        pds.fault("look_back", "stall")

        with pytest.raises(RetryableError, match="look for the post"):
            adapter.look_back(post())

    def test_session_refused_after_logging_in_again_names_the_fix(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        adapter.publish(post(post_id="a"))
        pds.expire_sessions()
        pds.password = "wxyz-wxyz-wxyz-wxyz"  # the app password was revoked

        with pytest.raises(PermanentError) as caught:
            adapter.publish(post(post_id="b"))

        assert "CAMPAIGN_BLUESKY_HANDLE" in str(caught.value)
        assert "Settings > Privacy and security > App passwords" in str(caught.value)
        assert len(pds.records) == 1
        assert len(pds.calls("login")) == 2  # the first login, and one more: no retry loop

    def test_a_token_refused_twice_is_permanent(self, pds: FakeBluesky, adapter: Adapter) -> None:
        pds.fault("publish", "expired_token", times=2)

        with pytest.raises(PermanentError, match="ExpiredToken"):
            adapter.publish(post())

        assert len(pds.calls("login")) == 2


class TestCheckedBeforeSending:
    @pytest.mark.parametrize(
        ("make_media", "message"),
        [
            (lambda d: (image(d, data=png_bytes(1_000_000)),), "Bluesky takes at most 1,000,000"),
            (lambda d: tuple(image(d, f"{n}.png") for n in range(5)), "at most 4 images"),
        ],
    )
    def test_broken_media_is_refused_before_any_request(
        self,
        pds: FakeBluesky,
        adapter: Adapter,
        tmp_path: Path,
        make_media: Callable[[Path], tuple[Image, ...]],
        message: str,
    ) -> None:
        with pytest.raises(PermanentError, match=message):
            adapter.publish(post(media=make_media(tmp_path)))

        assert pds.calls() == []

    @pytest.mark.parametrize(
        ("outgoing", "message"),
        [
            (post("é" * 301), "301 graphemes; Bluesky takes at most 300"),
            (post(reply_to="12345"), "not the id of a Bluesky post"),
            (Outgoing(post_id="p-1", text="hi"), "no scheduled time"),
        ],
    )
    def test_unpublishable_posts_are_refused_before_any_request(
        self, pds: FakeBluesky, adapter: Adapter, outgoing: Outgoing, message: str
    ) -> None:
        with pytest.raises(PermanentError, match=message):
            adapter.publish(outgoing)

        assert pds.calls() == []

    def test_300_graphemes_of_combined_characters_fit(
        self, pds: FakeBluesky, adapter: Adapter
    ) -> None:
        adapter.publish(post("👋🏽" * 300))

        assert len(pds.records) == 1


class TestCredentials:
    def test_check_returns_the_handle(self, adapter: Adapter) -> None:
        assert adapter.check_credentials() == "@campaign.test"

    def test_wrong_app_password_is_permanent_and_says_how_to_get_one(
        self, connect: Connect
    ) -> None:
        adapter = connect(CAMPAIGN_BLUESKY_APP_PASSWORD="nope-nope-nope-nope")

        with pytest.raises(PermanentError, match="App passwords") as caught:
            adapter.check_credentials()

        assert "CAMPAIGN_BLUESKY_APP_PASSWORD" in str(caught.value)

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("CAMPAIGN_BLUESKY_SERVICE_URL", "bsky.social"),
            ("CAMPAIGN_BLUESKY_LINK_CARD", "sometimes"),
            ("CAMPAIGN_BLUESKY_TIMEOUT_SECONDS", "0"),
        ],
    )
    def test_invalid_settings_are_named(self, pds: FakeBluesky, variable: str, value: str) -> None:
        with pytest.raises(ConfigurationError, match=variable):
            registry.connect(SPEC.name, pds.env(**{variable: value}))

    def test_the_registry_finds_the_adapter(self) -> None:
        assert platform("bluesky") is SPEC
        assert (SPEC.limit, SPEC.count("👋🏽é")) == (300, 2)
