"""What only the LinkedIn adapter does, against a fake LinkedIn REST API on a real loopback
socket. What every adapter does is tested once for all in ``tests/test_adapter_contract.py``."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from campaign.adapters import _linkedin_text, registry
from campaign.adapters.base import Adapter, Outgoing
from campaign.adapters.linkedin import LinkedInSettings
from campaign.errors import (
    ConfigurationError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from campaign.platforms import linkedin as linkedin_platform
from campaign.platforms.images import Image
from campaign.platforms.linkedin import SPEC, VERSION_RETIREMENTS, recent_version, retirement
from campaign.platforms.registry import platform
from campaign.render.planner import plan_files
from tests.fakes.linkedin_api import FakeLinkedIn, render_little

ORG = "urn:li:organization:123"
PERSON = "urn:li:person:abc123"


def png(width: int = 2, height: int = 1) -> bytes:
    """A valid PNG of ``width`` x ``height`` grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """A JPEG's frame: SOI, APP0, a baseline start-of-frame, a start of scan, one byte, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + sof + sos + b"\x00\xff\xd9"


@pytest.fixture
def fake() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn() as server:
        yield server


def env_for(fake: FakeLinkedIn, author: str = ORG, **extra: str) -> dict[str, str]:
    return fake.env(author, **{f"CAMPAIGN_LINKEDIN_{k.upper()}": v for k, v in extra.items()})


@pytest.fixture
def make(fake: FakeLinkedIn) -> Iterator[Callable[..., Adapter]]:
    """Connect adapters to the fake (``make(author, version=...)``); closed after the test."""
    made: list[Adapter] = []

    def build(author: str = ORG, **extra: str) -> Adapter:
        made.append(registry.connect(SPEC.name, env_for(fake, author, **extra)))
        return made[-1]

    yield build
    for live in made:
        live.close()


@pytest.fixture
def adapter(make: Callable[..., Adapter]) -> Adapter:
    return make()


def outgoing(text: str = "Doors open at 19:00 (Hall B).", **kw: Any) -> Outgoing:
    return Outgoing(post_id="launch/2026-12-01/linkedin", text=text, **kw)


def image(tmp_path: Path, data: bytes, name: str = "poster.png", mime: str = "image/png") -> Image:
    path = tmp_path / name
    path.write_bytes(data)
    return Image.of(str(path), path.read_bytes(), "Poster: the hall with the stage lit blue")


def operations(fake: FakeLinkedIn) -> list[str]:
    return [call.operation for call in fake.calls()]


class TestSpec:
    def test_linkedin_has_no_threads_one_image_and_3000_characters(self) -> None:
        assert platform("linkedin") is SPEC
        assert (SPEC.threads, SPEC.max_media, SPEC.limit) == (False, 1, 3000)

    def test_importing_the_module_does_not_import_the_http_client(self) -> None:
        code = "import sys, campaign.adapters.linkedin; print('requests' in sys.modules)"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == "False"


class TestPublish:
    @pytest.mark.parametrize("author", [ORG, PERSON])
    def test_a_post_goes_out_through_the_posts_api(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter], author: str
    ) -> None:
        receipt = make(author).publish(outgoing())
        [post] = fake.posts
        assert receipt.remote_id == post["id"]
        assert receipt.url == f"https://www.linkedin.com/feed/update/{post['id']}/"
        assert post["author"] == author
        assert post["text"] == "Doors open at 19:00 (Hall B)."
        assert post["visibility"] == "PUBLIC"
        assert post["distribution"]["feedDistribution"] == "MAIN_FEED"
        assert post["lifecycleState"] == "PUBLISHED"
        assert "content" not in post
        [call] = fake.calls()
        assert call.operation == "publish"
        assert call.headers["LinkedIn-Version"] == "202605"
        assert call.headers["X-Restli-Protocol-Version"] == "2.0.0"

    def test_the_account_key_is_the_author(self, adapter: Adapter) -> None:
        assert adapter.account_key == f"linkedin:{ORG}"


TRICKY = [
    "#",
    "#tag",
    "##x",
    "C#",
    "\\",
    "\\#",
    "{",
    "}",
    "|",
    "@ada",
    "_",
    " ",
    "\n",
    "é",
    "https://ex.com/a_(b)#top",
    "x.com/p?utm_source=a",
    "{hashtag|\\#|x}",
    "🎉",
]


class TestLittleText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Hall (B) [left]", r"Hall \(B\) \[left\]"),
            ("#launch day", r"{hashtag|\#|launch} day"),
            ("#my_tag!", r"{hashtag|\#|my\_tag}!"),
            ("C# and a#b and # alone", r"C\# and a\#b and \# alone"),
            ("ask @ada", r"ask \@ada"),
            ("~*_|<>{}\\", r"\~\*\_\|\<\>\{\}\\"),
            ("see https://ex.com/a_(b)#top", r"see https://ex.com/a\_\(b\)\#top"),
            ("plain words, 100%!", "plain words, 100%!"),
        ],
    )
    def test_reserved_characters_are_escaped_and_hashtags_templated(
        self, text: str, expected: str
    ) -> None:
        assert _linkedin_text.commentary(text) == expected

    @given(
        st.lists(
            st.one_of(st.sampled_from(TRICKY) | st.text(max_size=4)),
        ).map("".join)
    )
    def test_linkedin_shows_exactly_the_text_we_wrote(self, text: str) -> None:
        assert render_little(_linkedin_text.commentary(text)) == text

    def test_unescaped_text_would_be_cut_short(self) -> None:
        assert render_little("Doors open (Hall B)") == "Doors open "

    def test_a_post_full_of_reserved_characters_is_published_whole(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        text = "Talk: C++ <templates> & {braces} [1] *bold* _x_ ~y~ | @ada\n#PyCon https://ex.com/a_(b)"
        adapter.publish(outgoing(text))
        assert fake.posts[0]["text"] == text
        assert r"{hashtag|\#|PyCon}" in fake.posts[0]["commentary"]


class TestImages:
    def test_an_image_and_its_alt_text_go_through_the_images_api(
        self, fake: FakeLinkedIn, adapter: Adapter, tmp_path: Path
    ) -> None:
        data = png()
        item = image(tmp_path, data)
        adapter.publish(outgoing(media=(item,)))
        assert operations(fake) == ["upload_media", "upload_bytes", "publish"]
        assert fake.calls("upload_bytes")[0].path == "/upload/image-1"
        [uploaded] = fake.images.values()
        assert uploaded.data == data
        assert uploaded.owner == ORG
        assert uploaded.upload_headers["Content-Type"] == "image/png"
        media = fake.posts[0]["content"]["media"]
        assert media == {"id": uploaded.urn, "altText": item.alt}

    @pytest.mark.parametrize(
        ("name", "data", "mime"),
        [
            ("poster.jpg", jpeg_header(1200, 630), "image/jpeg"),
            (
                "poster.gif",
                b"GIF89a" + struct.pack("<HH", 40, 30) + b"\x00" * 20 + b";",
                "image/gif",
            ),
        ],
    )
    def test_jpeg_and_gif_are_taken(
        self,
        fake: FakeLinkedIn,
        adapter: Adapter,
        tmp_path: Path,
        name: str,
        data: bytes,
        mime: str,
    ) -> None:
        adapter.publish(outgoing(media=(image(tmp_path, data, name, mime),)))
        assert fake.posts[0]["content"]["media"]["id"] in fake.images

    @pytest.mark.parametrize(
        ("name", "data", "mime", "alt", "message"),
        [
            ("clip.webp", b"RIFF\x04\x00\x00\x00WEBP", "image/webp", "a poster", "PNG or GIF"),
            ("flat.png", png(0, 1), "image/png", "a poster", "header is broken"),
            ("huge.jpg", jpeg_header(8000, 5000), "image/jpeg", "a poster", "scale the image"),
            ("poster.png", png(), "image/png", "x" * 4087, "shorten it"),
        ],
    )
    def test_a_bad_image_fails_before_anything_is_sent(
        self,
        fake: FakeLinkedIn,
        adapter: Adapter,
        tmp_path: Path,
        name: str,
        data: bytes | None,
        mime: str,
        alt: str,
        message: str,
    ) -> None:
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        item = Image.of(str(path), path.read_bytes(), alt)
        with pytest.raises(PermanentError, match=message) as caught:
            adapter.publish(outgoing(media=(item,)))
        assert name in str(caught.value)
        assert fake.calls() == []

    def test_two_images_are_refused(
        self, fake: FakeLinkedIn, adapter: Adapter, tmp_path: Path
    ) -> None:
        items = (image(tmp_path, png(), "a.png"), image(tmp_path, png(), "b.png"))
        with pytest.raises(
            PermanentError, match="LinkedIn takes at most 1 image per post; this post has 2"
        ):
            adapter.publish(outgoing(media=items))
        assert fake.calls() == []


class TestErrors:
    @pytest.mark.parametrize("expired", [False, True])
    def test_a_refused_token_says_how_to_get_a_new_one(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter], expired: bool
    ) -> None:
        fake.expired = expired
        with pytest.raises(PermanentError, match=r"401.*last 60 days.*ACCESS_TOKEN"):
            make(access_token="an-old-token").publish(outgoing())
        assert fake.posts == []

    @pytest.mark.parametrize(
        ("author", "scopes"),
        [
            ("urn:li:organization:999", None),  # not an admin of that page
            (ORG, {"w_member_social"}),
            (PERSON, {"w_organization_social"}),
        ],
    )
    def test_a_missing_permission_names_the_scope_and_role(
        self,
        fake: FakeLinkedIn,
        make: Callable[..., Adapter],
        author: str,
        scopes: set[str] | None,
    ) -> None:
        if scopes is not None:
            fake.scopes = scopes
        with pytest.raises(PermanentError, match=r"403.*w_organization_social.*ADMINISTRATOR"):
            make(author).publish(outgoing())
        assert fake.posts == []

    def test_a_retired_api_version_says_which_variable_to_change(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        with pytest.raises(PermanentError, match=r"426.*202401.*CAMPAIGN_LINKEDIN_VERSION"):
            make(version="202401").publish(outgoing())

    def test_a_too_long_post_is_refused_before_any_request(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        with pytest.raises(PermanentError, match=r"3001 characters; LinkedIn takes at most 3000"):
            adapter.publish(outgoing("x" * 3001))
        assert fake.calls() == []

    def test_429_without_retry_after_waits_until_midnight_utc(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        fake.fault("publish", "rate_limit")
        with (
            time_machine.travel(datetime(2026, 12, 1, 23, 10, tzinfo=UTC), tick=False),
            pytest.raises(RateLimited, match="DAY limit") as caught,
        ):
            adapter.publish(outgoing())
        assert caught.value.reset_at == datetime(2026, 12, 2, tzinfo=UTC)

    def test_a_gateway_timeout_on_the_post_is_an_unknown_outcome(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        fake.fault("publish", "gateway_timeout")
        with pytest.raises(OutcomeUnknown, match="gateway"):
            adapter.publish(outgoing())

    def test_no_answer_after_sending_is_an_unknown_outcome(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        fake.fault("publish", "stall")
        with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
            make(timeout_seconds="0.3").publish(outgoing())

    @pytest.mark.parametrize("fault", ["drop", "server_error"])
    def test_a_failed_upload_of_the_bytes_is_retryable_and_posts_nothing(
        self, fake: FakeLinkedIn, adapter: Adapter, tmp_path: Path, fault: str
    ) -> None:
        fake.fault("upload_bytes", fault)
        with pytest.raises(RetryableError):
            adapter.publish(outgoing(media=(image(tmp_path, png()),)))
        assert fake.posts == []
        assert fake.calls("publish") == []


class TestLookBack:
    def test_look_back_is_not_reliable(self, adapter: Adapter) -> None:
        assert adapter.look_back_reliable is False

    def test_a_post_beyond_the_last_20_is_not_found(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        old = adapter.publish(outgoing("the oldest"))
        for number in range(20):
            adapter.publish(outgoing(f"newer post {number}"))
        assert fake.posts[0]["id"] == old.remote_id
        assert adapter.look_back(outgoing("the oldest")) is None

    def test_without_read_permission_it_says_so(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        fake.scopes -= {"r_member_social"}
        with pytest.raises(PermanentError, match="403"):
            make(PERSON).look_back(outgoing())


class TestCredentials:
    def test_a_page_is_named_with_its_vanity_address(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        assert adapter.check_credentials() == "Example Org (linkedin.com/company/example-org)"
        [acl] = fake.calls("whoami")
        assert (acl.path, acl.query["q"], acl.query["state"]) == (
            "/rest/organizationAcls",
            "roleAssignee",
            "APPROVED",
        )
        assert adapter.notices(date(2026, 12, 3)) == []

    def test_posting_as_a_page_works_with_the_scopes_the_readme_names(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        """Only w_organization_social: the role read is refused, named, and nothing waits."""
        fake.scopes = {"w_organization_social"}
        adapter = make()

        assert adapter.check_credentials() == ORG
        [notice] = adapter.notices(date(2026, 12, 3))
        assert "lacks the r_organization_admin scope" in notice
        assert "publishing goes ahead" in notice
        assert "post" not in notice.split("publishing goes ahead")[0]  # not about a post
        assert adapter.publish(outgoing()).remote_id == fake.posts[0]["id"]

    @pytest.mark.parametrize(
        ("roles", "says"),
        [
            ([("123", "ANALYST", "APPROVED")], "is only ANALYST of urn:li:organization:123"),
            ([("123", "ADMINISTRATOR", "REQUESTED")], "has no role on urn:li:organization:123"),
            ([("456", "ADMINISTRATOR", "APPROVED")], "has no role on urn:li:organization:123"),
        ],
        ids=["analyst", "requested", "another-page"],
    )
    def test_a_member_who_may_not_post_as_the_page_is_told_what_to_ask_for(
        self,
        fake: FakeLinkedIn,
        adapter: Adapter,
        roles: list[tuple[str, str, str]],
        says: str,
    ) -> None:
        fake.roles = roles
        with pytest.raises(PermanentError, match=says) as caught:
            adapter.check_credentials()
        assert "Content admin or Super admin" in str(caught.value)
        assert "Fix the post" not in str(caught.value)

    def test_a_content_admin_may_post_and_roles_are_read_page_by_page(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        others = [(str(n), "ADMINISTRATOR", "APPROVED") for n in range(1000, 1150)]
        fake.roles = [*others, ("123", "CONTENT_ADMINISTRATOR", "APPROVED")]

        assert adapter.check_credentials().startswith("Example Org")
        assert [c.query["start"] for c in fake.calls("whoami")] == ["0", "100"]

    @pytest.mark.parametrize(
        ("fault", "error"), [("server_error", RetryableError), ("unauthorized", PermanentError)]
    )
    def test_an_unanswered_role_check_fails_only_for_the_account_or_an_outage(
        self, fake: FakeLinkedIn, adapter: Adapter, fault: str, error: type[Exception]
    ) -> None:
        fake.fault("whoami", fault)
        with pytest.raises(error) as caught:
            adapter.check_credentials()
        assert "Fix the post" not in str(caught.value)

    def test_a_role_check_linkedin_does_not_answer_is_a_notice(
        self, fake: FakeLinkedIn, adapter: Adapter
    ) -> None:
        fake.fault("whoami", "reject")  # 400: LinkedIn does not know the finder here

        assert adapter.check_credentials() == ORG
        [notice] = adapter.notices(date(2026, 12, 3))
        assert "LinkedIn answered 400" in notice
        assert adapter.publish(outgoing()).remote_id == fake.posts[0]["id"]

    def test_a_member_without_profile_scopes_is_a_notice(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        fake.scopes = {"w_member_social"}
        adapter = make(PERSON)

        assert adapter.check_credentials() == PERSON
        [notice] = adapter.notices(date(2026, 12, 3))
        assert "lacks the openid and profile scopes" in notice

    def test_a_member_is_named(self, make: Callable[..., Adapter]) -> None:
        assert make(PERSON).check_credentials() == f"Ada Lovelace ({PERSON})"

    def test_a_token_of_another_member_is_refused(self, make: Callable[..., Adapter]) -> None:
        with pytest.raises(PermanentError, match="belongs to urn:li:person:abc123"):
            make("urn:li:person:someone-else").check_credentials()

    def test_a_refused_token_is_a_permanent_error(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        with pytest.raises(PermanentError, match="60 days"):
            make(access_token="an-old-token").check_credentials()

    @pytest.mark.parametrize(
        ("variable", "value", "message"),
        [
            ("AUTHOR", "acme", "CAMPAIGN_LINKEDIN_AUTHOR: .*urn:li:organization:<id>"),
            ("VERSION", "2026-05", "CAMPAIGN_LINKEDIN_VERSION: .*YYYYMM"),
            ("TIMEOUT_SECONDS", "soon", "CAMPAIGN_LINKEDIN_TIMEOUT_SECONDS: .*number"),
            ("TIMEOUT_SECONDS", "0", "CAMPAIGN_LINKEDIN_TIMEOUT_SECONDS: .*greater than 0"),
            ("API_URL", "api.linkedin.com", "CAMPAIGN_LINKEDIN_API_URL: .*http"),
        ],
    )
    def test_malformed_settings_are_named(
        self, fake: FakeLinkedIn, variable: str, value: str, message: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=message):
            registry.connect(SPEC.name, {**env_for(fake), f"CAMPAIGN_LINKEDIN_{variable}": value})
        assert fake.calls() == []

    def test_the_process_environment_is_read_when_no_mapping_is_given(
        self, fake: FakeLinkedIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)  # no stray .env
        for name, value in env_for(fake).items():
            monkeypatch.setenv(name, value)
        live = registry.connect(SPEC.name, None)
        try:
            assert live.check_credentials().startswith("Example Org")
        finally:
            live.close()
        with pytest.raises(ConfigurationError, match="ACCESS_TOKEN") as caught:
            registry.connect(
                SPEC.name, {"CAMPAIGN_LINKEDIN_AUTHOR": ORG}
            )  # a mapping ignores the environment
        assert "AUTHOR" not in str(caught.value)


class TestVersionRetirement:
    """Each monthly LinkedIn-Version is served about a year; warn 30 days before."""

    @pytest.mark.parametrize(
        ("version", "today", "says"),
        [
            ("202601", date(2026, 12, 15), None),  # retires 2027-01-15: 31 days away
            ("202601", date(2026, 12, 16), "retires on 2027-01-15, in 30 days"),
            ("202601", date(2027, 1, 15), "was retired on 2027-01-15"),
            ("202605", date(2027, 4, 20), "retires on 2027-05-15, in 25 days"),  # estimated
            ("202511.01", date(2026, 12, 3), "was retired on 2026-11-16"),
        ],
    )
    def test_the_configured_version_is_warned_of_before_it_retires(
        self, fake: FakeLinkedIn, version: str, today: date, says: str | None
    ) -> None:
        notices = LinkedInSettings.load(env_for(fake, version=version)).notices(today)
        if says is None:
            assert notices == []
        else:
            [notice] = notices
            assert says in notice
            suggested = recent_version(today)
            assert f"set CAMPAIGN_LINKEDIN_VERSION to a newer version such as {suggested}" in notice

    def test_a_retired_version_fails_the_check_with_426_as_the_notice_said(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        adapter = make(version="202511")
        [notice] = adapter.notices(date(2026, 12, 3))
        assert "was retired on 2026-11-16" in notice

        with pytest.raises(PermanentError, match=r"426.*CAMPAIGN_LINKEDIN_VERSION") as caught:
            adapter.check_credentials()
        assert "Fix the post" not in str(caught.value)

    def test_no_warning_when_linkedin_is_not_configured(self) -> None:
        assert (
            LinkedInSettings.load({"CAMPAIGN_LINKEDIN_VERSION": "202401"}).notices(
                date(2026, 12, 3)
            )
            == []
        )

    def test_the_table_says_where_it_comes_from_and_is_about_a_year_each(self) -> None:
        source = Path(linkedin_platform.__file__).read_text()
        assert "learn.microsoft.com/linkedin/marketing/integrations/migrations" in source
        assert "checked 2026-12-03" in source
        for version, retires in VERSION_RETIREMENTS.items():
            released = date(int(version[:4]), int(version[4:]), 1)
            assert 365 <= (retires - released).days <= 400
        assert retirement("202607") == date(2027, 7, 15)
        assert recent_version(date(2026, 12, 3)) == "202611"

    def test_an_impossible_month_is_refused(self, fake: FakeLinkedIn) -> None:
        with pytest.raises(ConfigurationError, match="CAMPAIGN_LINKEDIN_VERSION"):
            LinkedInSettings.load(env_for(fake, version="202613"))


class TestExampleCampaign:
    def test_every_linkedin_post_of_the_example_goes_out_whole_as_one_post(
        self, fake: FakeLinkedIn, adapter: Adapter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Thread templates arrive joined; ``Medi@4sec``, ``utm_source`` and #tags survive."""
        root = Path(__file__).parents[1]
        monkeypatch.chdir(root)  # media paths in the example are relative to the project
        planned = plan_files([root / "schedules" / "darkweb-2017.yaml"])
        linkedin = [p for p in planned if p.platform == "linkedin"]
        for post in linkedin:
            adapter.publish(Outgoing.of(post))
        assert [p["text"] for p in fake.posts] == [p.text for p in linkedin]
        assert sum(len(p.media) for p in linkedin) == len(fake.images) >= 1
        with_image = next(p for p in fake.posts if "content" in p)
        assert with_image["content"]["media"]["altText"].startswith("Banner of the Medi@4sec")


class TestEngagementScopes:
    """LinkedIn's figures as far as the token's scope allows: share statistics, then social
    actions, then "not available" naming the scopes to add (never an error)."""

    def test_without_share_statistics_it_reads_likes_and_comments(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter]
    ) -> None:
        fake.scopes.discard("rw_organization_admin")
        adapter = make()
        urn = adapter.publish(outgoing()).remote_id
        fake.set_figures(urn, likes=7, replies=2, reposts=1, impressions=50)
        reading = adapter.engagement([urn])[urn]
        assert (reading.likes, reading.replies, reading.reposts, reading.impressions) == (
            7,
            2,
            None,
            None,
        )
        adapter.engagement([urn])  # refused once: straight to social actions from then on
        assert [c.path.split("/")[2] for c in fake.calls("metrics")] == [
            "organizationalEntityShareStatistics",
            "socialActions",
            "socialActions",
        ]

    @pytest.mark.parametrize("author", [ORG, "urn:li:person:abc123"])
    def test_without_any_read_scope_it_says_which_to_add(
        self, fake: FakeLinkedIn, make: Callable[..., Adapter], author: str
    ) -> None:
        fake.scopes -= {"rw_organization_admin", "r_organization_social", "r_member_social"}
        adapter = make(author)
        urn = adapter.publish(outgoing()).remote_id
        reading = adapter.engagement([urn])[urn]
        assert reading.likes is None
        assert "r_organization_social" in (reading.unavailable or "")
        assert "rw_organization_admin" in (reading.unavailable or "")
