"""Images in the ledger: stored by content at ``schedule``, read back by the claim, and moved
in from the files of older ledgers by migration ``0004_media``.

Every test runs on a real SQLite file and, when reachable, on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from campaign.daemon.status import check
from campaign.platforms.images import Image
from campaign.render.planner import plan_files
from campaign.render.post import Post
from campaign.store import Ledger, migrate
from campaign.store.engine import open_engine
from campaign.store.media import media_table
from campaign.store.sync import _new_row, plan_digest, posts_table
from tests.fakes.x_fixtures import png_bytes
from tests.ledger_helpers import NOW, as_worker, image, make_post, old_rows

GRACE = timedelta(minutes=15)
ROOT = Path(__file__).parents[1]


def stored_images(ledger: Ledger) -> dict[str, bytes]:
    with ledger.engine.connect() as connection:
        query = select(media_table.c.sha256, media_table.c.data)
        return {sha: bytes(data) for sha, data in connection.execute(query)}


class TestStoredAtSchedule:
    def test_an_image_on_many_posts_is_stored_once_and_scheduling_again_adds_nothing(
        self, ledger: Ledger
    ) -> None:
        banner = image()
        posts = [make_post(f"e{n}", media=(banner,)) for n in range(3)]
        ledger.sync(posts, now=NOW)
        assert stored_images(ledger) == {banner.sha256: banner.data}
        with ledger.engine.connect() as connection:
            created = connection.execute(select(media_table.c.created_at)).scalar_one()
        ledger.sync(posts, now=NOW + timedelta(minutes=5))
        with ledger.engine.connect() as connection:
            rows = connection.execute(select(func.count(), func.max(media_table.c.created_at)))
            assert tuple(rows.one()) == (1, created)
        (entry,) = ledger.get(posts[0].id).media
        assert (entry.path, entry.alt, entry.sha256) == (
            "media/banner.png",
            "A banner",
            banner.sha256,
        )

    def test_a_moved_image_is_unchanged_an_edited_image_is_a_change(self, ledger: Ledger) -> None:
        post = make_post(media=(image(),))
        ledger.sync([post], now=NOW)
        moved = replace(post, media=(Image.of("pictures/banner.png", png_bytes(), "A banner"),))
        assert ledger.sync([moved], now=NOW).unchanged == (post.id,)
        edited = replace(post, media=(Image.of("media/banner.png", png_bytes(3, 3), "A banner"),))
        assert ledger.sync([edited], now=NOW).updated == (post.id,)
        assert set(stored_images(ledger)) == {image().sha256, edited.media[0].sha256}


class TestReadByTheClaim:
    def test_the_claim_returns_the_images_bytes_with_their_alt_text(self, ledger: Ledger) -> None:
        post = make_post(at=NOW, media=(image(),))
        ledger.sync([post], now=NOW - timedelta(hours=1))
        claimed = as_worker(ledger).claim(post.id, NOW)
        assert claimed is not None
        assert [(i.data, i.alt, i.mime_type, i.source) for i in claimed.images] == [
            (png_bytes(), "A banner", "image/png", "media/banner.png")
        ]
        assert claimed.missing == ()

    def test_an_image_missing_from_the_ledger_is_named_by_the_claim(self, ledger: Ledger) -> None:
        post = make_post(at=NOW, media=(image(),))
        ledger.sync([post], now=NOW - timedelta(hours=1))
        with ledger.engine.begin() as connection:
            connection.execute(media_table.delete())
        claimed = as_worker(ledger).claim(post.id, NOW)
        assert claimed is not None
        assert (claimed.images, claimed.missing) == ((), ("media/banner.png",))


# --- migration 0004_media: ledgers made before images were stored --------------------------


def legacy_digest(post: Post) -> str:
    """The digest the ledger stored before 0004_media: images counted by path and type."""
    parts = [
        post.text,
        post.scheduled_at.isoformat(),
        post.timezone,
        str(post.thread_size),
        str(len(post.links)),
        *post.links,
        *(f"{m.source}\x1e{m.alt}\x1e{m.media_type}" for m in post.media),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def old_ledger(url: str, posts: list[Post], states: dict[str, str]) -> None:
    """A ledger at revision 0002_links holding ``posts`` as that version wrote them: media
    entries with path, alt text and type only, the old digest, no image bytes anywhere."""
    engine = open_engine(url)
    migrate.upgrade(engine, "0002_links")
    rows = []
    for post in posts:
        row = _new_row(post, legacy_digest(post), states.get(post.id, "scheduled"), NOW, GRACE)
        row["media"] = [
            {"path": m.source, "alt": m.alt, "mime_type": m.media_type} for m in post.media
        ]
        rows.append(row)
    rows = old_rows(engine, rows)
    with engine.begin() as connection:
        connection.execute(insert(posts_table), rows)
    engine.dispose()


@pytest.fixture
def in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory: an empty folder of the test's own."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


class TestUpgrade:
    def test_images_are_moved_in_once_and_digests_match_plan_digest(
        self, ledger_url: str, in_folder: Path
    ) -> None:
        (in_folder / "media").mkdir()
        (in_folder / "media" / "banner.png").write_bytes(png_bytes())
        waiting = make_post("waiting", media=(image(),))
        sent = make_post("sent", media=(image(),))
        plain = make_post("plain")
        old_ledger(ledger_url, [waiting, sent, plain], {sent.id: "sent"})
        with Ledger.open(ledger_url, grace=GRACE) as ledger:
            assert stored_images(ledger) == {image().sha256: png_bytes()}
            for post in (waiting, sent, plain):
                with ledger.engine.connect() as connection:
                    query = select(posts_table.c.digest).where(posts_table.c.id == post.id)
                    assert connection.execute(query).scalar_one() == plan_digest(post)
            assert ledger.get(waiting.id).media[0].sha256 == image().sha256
            assert ledger.get(waiting.id).state == "scheduled"
            report = ledger.sync([waiting, sent, plain], now=NOW)
            assert set(report.unchanged) == {waiting.id, sent.id, plain.id}
            assert report.conflicts == report.updated == ()

    def test_an_image_gone_fails_unsent_posts_with_what_to_do_and_status_shows_them(
        self, ledger_url: str, in_folder: Path
    ) -> None:
        posts = {
            state: make_post(state, at=NOW + timedelta(hours=1), media=(image(),))
            for state in ("scheduled", "missed", "failed", "cancelled", "sent", "unknown")
        }
        old_ledger(ledger_url, list(posts.values()), {p.id: s for s, p in posts.items()})
        with Ledger.open(ledger_url, grace=GRACE) as ledger:
            after = {state: ledger.get(post.id) for state, post in posts.items()}
            assert {s: p.state for s, p in after.items()} == {
                "scheduled": "failed",
                "missed": "failed",
                "failed": "failed",
                "cancelled": "cancelled",
                "sent": "sent",
                "unknown": "unknown",
            }
            for state in ("scheduled", "missed", "failed"):
                assert after[state].last_error == (
                    "image media/banner.png could not be found when the ledger was upgraded; "
                    "schedule the campaign again from its folder, or "
                    f"`campaign retry {posts[state].id}` once fixed"
                )
                assert after[state].media[0].sha256 is None
            assert stored_images(ledger) == {}
            health = check(ledger, after["scheduled"].updated_at, stale_after=GRACE, grace=GRACE)
            attention = {p.id for p in health.attention}
            assert {posts[s].id for s in ("scheduled", "missed", "failed")} <= attention
            assert health.exit_code != 0

            # Scheduled again from the campaign's folder, the posts are whole and due again.
            (in_folder / "media").mkdir()
            (in_folder / "media" / "banner.png").write_bytes(png_bytes())
            unsent = [posts[s] for s in ("scheduled", "missed", "failed")]
            report = ledger.sync(unsent, now=NOW)
            assert set(report.updated) == {p.id for p in unsent}
            assert {ledger.get(p.id).state for p in unsent} == {"scheduled"}
            claimed = as_worker(ledger).claim(posts["scheduled"].id, NOW + timedelta(hours=1))
            assert claimed is not None
            assert [i.data for i in claimed.images] == [png_bytes()]

    def test_the_example_campaign_planned_again_after_the_upgrade_is_unchanged(
        self, ledger_url: str, in_folder: Path
    ) -> None:
        """The migration's digest is plan_digest's for real plans (times, zones, links)."""
        for folder in ("schedules", "templates"):
            shutil.copytree(ROOT / folder, in_folder / folder)
        posts = plan_files([Path("schedules/darkweb-2017.yaml")])
        assert any(post.media for post in posts)
        old_ledger(ledger_url, posts, {post.id: "sent" for post in posts})
        with Ledger.open(ledger_url, grace=GRACE) as ledger:
            report = ledger.sync(posts, now=NOW)
        assert set(report.unchanged) == {post.id for post in posts}
        assert report.conflicts == ()


def test_old_ledgers_without_images_keep_their_digests(ledger_url: str, in_folder: Path) -> None:
    post = make_post()
    old_ledger(ledger_url, [post], {})
    with Ledger.open(ledger_url, grace=GRACE) as ledger:
        with ledger.engine.connect() as connection:
            digest = connection.execute(select(posts_table.c.digest)).scalar_one()
        assert digest == legacy_digest(post) == plan_digest(post)
        assert ledger.sync([post], now=NOW).unchanged == (post.id,)
