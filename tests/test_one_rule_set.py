"""Planning and publishing judge a post by one rule set: what ``validate`` accepts, every
adapter's pre-flight check accepts, and what one refuses the other refuses.

Hypothesis generates posts at and around each platform's limits (text length as the platform
counts it; image count, format, bytes, pixels and alt text) and runs each through the real
planner (the library behind ``campaign validate``) and through the platform's real adapter's
:meth:`~campaign.adapters.base.Adapter.preflight`, which runs before any request.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.adapters.base import Adapter, Outgoing
from campaign.adapters.registry import connect
from campaign.errors import InvalidCampaign, PermanentError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import Image
from campaign.platforms.registry import platform
from campaign.render.planner import plan_files
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_fixtures import png_bytes
from tests.planfiles import campaign_data, write_project

# Settings that build each adapter without any request (nothing listens on port 9).
ENVS = {
    "twitter": {
        "CAMPAIGN_TWITTER_API_KEY": "k",
        "CAMPAIGN_TWITTER_API_SECRET": "s",
        "CAMPAIGN_TWITTER_ACCESS_TOKEN": "t",
        "CAMPAIGN_TWITTER_ACCESS_SECRET": "a",
        "CAMPAIGN_TWITTER_API_URL": "http://127.0.0.1:9",
    },
    "mastodon": {},  # a fake server at Mastodon's defaults (see platform_and_adapter)
    "bluesky": {
        "CAMPAIGN_BLUESKY_HANDLE": "campaign.test",
        "CAMPAIGN_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
        "CAMPAIGN_BLUESKY_SERVICE_URL": "http://127.0.0.1:9",
    },
    "linkedin": {
        "CAMPAIGN_LINKEDIN_ACCESS_TOKEN": "t",
        "CAMPAIGN_LINKEDIN_AUTHOR": "urn:li:organization:1",
        "CAMPAIGN_LINKEDIN_API_URL": "http://127.0.0.1:9",
    },
}
FORMATS = ("png", "jpeg", "gif", "webp", "bmp", "cut png", "text")
# Texts avoid what a template would change or refuse: braces (Jinja2), line breaks and
# surrounding spaces (trimmed), control and invisible format characters (refused).
TEXT_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"), blacklist_characters="{}%"
)


@dataclass(frozen=True)
class Planned:
    """One generated post: its text and its images as files to attach."""

    text: str
    images: tuple[tuple[str, bytes, str], ...]  # (file name, bytes, alt text)


def jpeg(width: int, height: int, pad: int = 0) -> bytes:
    """A complete baseline JPEG header of ``width`` x ``height`` with ``pad`` bytes of data."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    frame = segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + segment(0xE0, b"JFIF\x00") + frame + scan + bytes(pad) + b"\xff\xd9"


def png(width: int, height: int, pad: int = 0) -> bytes:
    """A PNG of ``width`` x ``height`` whose header says so, ``pad`` bytes longer than bare."""
    whole = png_bytes(2, 2)
    header = struct.pack(">II", width, height)
    whole = whole[:16] + header + whole[24:]
    return whole[:-12] + bytes(pad) + whole[-12:]


def gif(pad: int = 0) -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00," + bytes(pad) + b"\x00\x01\x00\x01\x00\x00\x02\x00;"
    )


def webp(pad: int = 0) -> bytes:
    body = b"WEBPVP8 " + struct.pack("<I", 10 + pad) + b"\x00" * 6 + struct.pack("<HH", 2, 2)
    body += bytes(pad)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def sized(kind: str, target: int, pixels: tuple[int, int]) -> bytes:
    """An image of format ``kind`` about ``target`` bytes long (exactly, where it can be)."""
    width, height = pixels
    if kind == "png":
        bare = len(png(width, height))
        return png(width, height, max(0, target - bare))
    if kind == "jpeg":
        bare = len(jpeg(width, height))
        return jpeg(width, height, max(0, target - bare))
    if kind == "gif":
        return gif(max(0, target - len(gif())))
    if kind == "webp":
        return webp(max(0, target - len(webp())))
    if kind == "bmp":
        return b"BM" + bytes(max(0, target - 2))
    if kind == "cut png":
        return png(width, height)[:-6]
    return b"just some words"


@st.composite
def posts(draw: st.DrawFn, spec: PlatformSpec) -> Planned:
    """A post for ``spec`` with its text length and images around the platform's limits."""
    rules = spec.images
    words = draw(st.text(TEXT_CHARS, max_size=30)).strip()
    filler = draw(st.integers(max(0, spec.limit - 40), spec.limit + 3))
    text = (words + " " + "x" * filler).strip() or "x"
    count = draw(st.integers(0, rules.max_images + 1))
    images = []
    for number in range(count):
        kind = draw(st.sampled_from(FORMATS))
        limits = [v for v in rules.max_bytes.values() if v is not None] or [64]
        limit = draw(st.sampled_from(limits))
        target = draw(st.sampled_from([200, limit - 1, limit, limit + 1]))
        side = draw(st.sampled_from([2, 6012, 6013, 7000]))  # 6012² < LinkedIn's cap < 6013²
        pixels = (side, draw(st.sampled_from([side, 2])))
        alt_limit = rules.max_alt or 2000
        alt = draw(st.sampled_from(["A full room", "a" * alt_limit, "a" * (alt_limit + 1)]))
        images.append((f"image{number}.{kind.split()[-1]}", sized(kind, target, pixels), alt))
    return Planned(text, tuple(images))


def planning_accepts(root: Path, spec: PlatformSpec, planned: Planned) -> bool:
    """Whether the planner (``campaign validate``) accepts ``planned`` on ``spec``."""
    media = root / "schedules" / "media"
    media.mkdir(parents=True)
    for name, data, _ in planned.images:
        (media / name).write_bytes(data)
    announcement = {
        "template": "post",
        "at": "-1d 10:00",
        "media": [{"path": f"media/{name}", "alt": alt} for name, _, alt in planned.images],
    }
    campaign = write_project(
        root,
        campaign_data(platforms=[spec.name], announcements=[announcement]),
        {"post.j2": "{% raw %}" + planned.text + "{% endraw %}"},
    )
    try:
        [post] = plan_files([campaign])
    except InvalidCampaign:
        return False
    assert post.text == planned.text
    return True


def adapter_accepts(adapter: Adapter, planned: Planned) -> bool:
    """Whether ``adapter``'s pre-flight check, run before any request, accepts ``planned``."""
    images = tuple(Image.of(name, data, alt) for name, data, alt in planned.images)
    try:
        adapter.preflight(Outgoing(post_id="p-1", text=planned.text, media=images))
    except PermanentError:
        return False
    return True


@pytest.fixture(params=sorted(ENVS))
def platform_and_adapter(request: pytest.FixtureRequest) -> Iterator[tuple[PlatformSpec, Adapter]]:
    with FakeMastodon() as server:
        # A Mastodon adapter asks its server for its own limits before refusing a post over
        # the defaults: a server at the defaults answers, so the judgement is the defaults'.
        env = server.env() if request.param == "mastodon" else ENVS[request.param]
        adapter = connect(request.param, env)
        yield platform(request.param), adapter
        adapter.close()


def test_planning_and_each_adapter_accept_and_refuse_the_same_posts(
    platform_and_adapter: tuple[PlatformSpec, Adapter],
) -> None:
    spec, adapter = platform_and_adapter
    outcomes: set[bool] = set()

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(planned=posts(spec))
    def same_judgement(planned: Planned) -> None:
        root = Path(tempfile.mkdtemp())
        try:
            planned_ok = planning_accepts(root, spec, planned)
        finally:
            shutil.rmtree(root)
        assert planned_ok == adapter_accepts(adapter, planned)
        outcomes.add(planned_ok)

    same_judgement()
    assert outcomes == {True, False}  # the examples were on both sides of the rules
