"""Builds planned posts and sets ledger states directly, for tests of the ledger and its users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, update

from campaign.platforms.images import Image
from campaign.render.post import Post, post_id
from campaign.store import Ledger
from campaign.store.sync import posts_table
from campaign.store.worker import WorkerId, WorkerLedger
from tests.fakes.x_fixtures import png_bytes

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
# The fields `campaign queue --json` promises (issue: "at least" these).
QUEUE_JSON_FIELDS = frozenset(
    {
        "id",
        "campaign",
        "platform",
        "state",
        "scheduled_at",
        "text",
        "attempts",
        "remote_id",
        "last_error",
    }
)


def make_post(
    event: str = "e1",
    *,
    campaign: str = "spring-2030",
    announcement: str = "reminder",
    platform: str = "mastodon",
    at: datetime | None = None,
    text: str | None = None,
    thread: int = 1,
    thread_size: int = 1,
    links: tuple[str, ...] = (),
    media: tuple[Image, ...] = (),
) -> Post:
    """A planned post, one hour after ``NOW`` unless ``at`` says otherwise."""
    body = text if text is not None else f"{announcement} for {event} on {platform}, part {thread}"
    return Post(
        id=post_id(campaign, event, announcement, platform, thread),
        campaign=campaign,
        event=event,
        announcement=announcement,
        platform=platform,
        scheduled_at=at or NOW + timedelta(hours=1),
        timezone="Europe/Amsterdam",
        text=body,
        length=len(body),
        limit=500,
        thread=thread,
        thread_size=thread_size,
        links=links,
        media=media,
        source=f"schedules/{campaign}.yaml:10",
    )


def make_thread(size: int, **kwargs: Any) -> list[Post]:
    """The ``size`` parts of one thread."""
    return [make_post(thread=n, thread_size=size, **kwargs) for n in range(1, size + 1)]


def image(name: str = "banner.png") -> Image:
    """An image as planning reads it from ``media/<name>``: a small complete PNG."""
    return Image.of(str(Path("media") / name), png_bytes(), "A banner")


def force_state(ledger: Ledger, post_id: str, state: str, **values: Any) -> None:
    """Put a post straight into ``state``, as the daemon would have, to set up a test."""
    with ledger.engine.begin() as connection:
        connection.execute(
            update(posts_table).where(posts_table.c.id == post_id).values(state=state, **values)
        )


def as_worker(ledger: Ledger, name: str = "host:1:aaaa") -> WorkerLedger:
    """The ledger as the daemon called ``name`` (``host:pid:token``) moves it."""
    worker = WorkerId.parse(name)
    assert worker is not None, f"{name!r} is not host:pid:token"
    return WorkerLedger(ledger, worker)


def old_rows(engine: Engine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of ``posts`` as an older ledger at ``engine`` takes them: only its columns."""
    columns = {column["name"] for column in inspect(engine).get_columns("posts")}
    return [{name: value for name, value in row.items() if name in columns} for row in rows]
