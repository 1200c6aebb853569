"""A queued post carries its images: ``campaign schedule`` stores their bytes in the ledger, and
``campaign run`` publishes them from there, whatever folder it runs in and even after the
campaign's folder is gone (issue 10, point 3). Real subprocesses, a real SQLite file and
PostgreSQL when reachable, the fake X, Mastodon and Bluesky servers."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaign.store import Ledger
from tests.daemon_helpers import daemon_env, run_cli
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX
from tests.fakes.x_fixtures import png_bytes
from tests.planfiles import campaign_data, write_project

pytestmark = pytest.mark.slow

ALT = "The workshop room, forty people around tables"
PLATFORMS = ["twitter", "mastodon", "bluesky"]


def image_campaign(root: Path, image: bytes, at: datetime) -> Path:
    """A campaign folder with one announcement carrying ``media/banner.png``, due at ``at``."""
    data = campaign_data(
        platforms=PLATFORMS,
        announcements=[
            {
                "template": "hello",
                "at": at.isoformat(timespec="seconds"),
                "media": [{"path": "media/banner.png", "alt": ALT}],
            }
        ],
    )
    campaign = write_project(root, data)
    (campaign.parent / "media").mkdir()
    (campaign.parent / "media" / "banner.png").write_bytes(image)
    return campaign


def test_images_are_published_from_the_ledger_after_the_campaign_folder_is_gone(
    ledger_url: str,
    tmp_path: Path,
    fake_x: FakeX,
    fake_mastodon: FakeMastodon,
):
    """Schedule from one folder, delete it, run the daemon from another: every image post goes
    out with its alt text and the platforms receive the very bytes that were scheduled."""
    image = png_bytes(7, 5)
    project = tmp_path / "project"
    image_campaign(project, image, datetime.now(UTC) - timedelta(minutes=1))
    with FakeBluesky() as bluesky:
        env = {**daemon_env(ledger_url, fake_x, fake_mastodon), **bluesky.env()}
        scheduled = run_cli(env, project, "schedule", "schedules/campaign.yaml")
        assert scheduled.returncode == 0, scheduled.stderr
        shutil.rmtree(project)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        ran = run_cli(env, elsewhere, "run", "--once")
        assert ran.returncode == 0, ran.stderr
        assert "image" not in ran.stderr.lower()

        (tweet,) = fake_x.tweets
        (media_id,) = tweet.media_ids
        assert (fake_x.media[media_id].data, fake_x.media[media_id].alt) == (image, ALT)
        (status,) = fake_mastodon.statuses
        (attachment,) = status["media_attachments"]
        assert attachment["description"] == ALT
        assert fake_mastodon.media[attachment["id"]]["size"] == len(image)
        (record,) = bluesky.records.values()
        (embedded,) = record.value["embed"]["images"]
        assert embedded["alt"] == ALT
        (blob,) = bluesky.blobs.values()
        assert blob.data == image

    with Ledger.open(ledger_url) as ledger:
        posts = ledger.list()
        assert sorted(p.platform for p in posts) == sorted(PLATFORMS)
        assert {p.state for p in posts} == {"sent"}
        assert {(m.path, m.alt) for p in posts for m in p.media} == {
            ("schedules/media/banner.png", ALT)
        }
