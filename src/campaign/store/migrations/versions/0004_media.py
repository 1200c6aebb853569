"""Images stored in the ledger: a ``media`` table, and the images of existing posts moved in.

Before this revision a post's ``media`` entries held only the path its image was planned
from, relative to the folder ``campaign schedule`` ran in, and the daemon read the file when
the post was due. Now the bytes live in ``media`` (one row per distinct image, by SHA-256)
and each entry names its image by hash. For every post with images this upgrade reads each
file (relative to the current directory, as the daemon did), stores its bytes, and
recomputes the post's digest the way :func:`campaign.store.sync.plan_digest` now does (by
the images' bytes, not their paths), so a sent post is not reported as changed afterwards.

A file that cannot be read any more leaves its entry without a hash; a post in
``scheduled``, ``missed`` or ``failed`` with such an image becomes ``failed`` with a message
saying what to do (``campaign status`` shows it). Other posts keep their state: a sent one
needs no image, and the daemon refuses any post whose image the ledger lacks.

Revision ID: 0004_media
Revises: 0003_ledger_id
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

from campaign.platforms.images import image_type
from campaign.store.schema import UTCDateTime

revision = "0004_media"
down_revision = "0003_ledger_id"
branch_labels = None
depends_on = None

log = logging.getLogger("campaign.ledger")
# A post in one of these states may still be published, so a missing image must stop it.
_UNSENT = ("scheduled", "missed", "failed")

_posts = sa.table(
    "posts",
    sa.column("id", sa.String),
    sa.column("state", sa.String),
    sa.column("text", sa.Text),
    sa.column("scheduled_at", UTCDateTime()),
    sa.column("timezone", sa.String),
    sa.column("thread_size", sa.Integer),
    sa.column("links", sa.JSON),
    sa.column("media", sa.JSON),
    sa.column("digest", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("updated_at", UTCDateTime()),
)
_media = sa.table(
    "media",
    sa.column("sha256", sa.String),
    sa.column("media_type", sa.String),
    sa.column("size", sa.Integer),
    sa.column("data", sa.LargeBinary),
    sa.column("created_at", UTCDateTime()),
)


def upgrade() -> None:
    """Create ``media`` and move the images of existing posts into it."""
    op.create_table(
        "media",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    stored: set[str] = set()
    with_media = sa.select(_posts).where(sa.cast(_posts.c.media, sa.Text) != "[]")
    for post in connection.execute(with_media).mappings().all():
        if post["media"]:
            _move_images(connection, dict(post), stored, now)


def downgrade() -> None:
    """Drop ``media`` (posts keep their paths; digests stay as upgraded)."""
    op.drop_table("media")


def _move_images(
    connection: sa.Connection, post: dict[str, Any], stored: set[str], now: datetime
) -> None:
    """Store the images of one post, then update its entries, digest and, if need be, state."""
    entries: list[dict[str, Any]] = []
    missing: list[str] = []
    for entry in post["media"]:
        data = _read(entry["path"])
        if data is None:
            missing.append(entry["path"])
            entries.append({key: value for key, value in entry.items() if key != "sha256"})
            continue
        sha = hashlib.sha256(data).hexdigest()
        mime = image_type(data) or entry.get("mime_type") or "application/octet-stream"
        if sha not in stored:
            exists = connection.execute(
                sa.select(_media.c.sha256).where(_media.c.sha256 == sha)
            ).first()
            if exists is None:
                connection.execute(
                    sa.insert(_media).values(
                        sha256=sha, media_type=mime, size=len(data), data=data, created_at=now
                    )
                )
            stored.add(sha)
        entries.append({**entry, "mime_type": mime, "sha256": sha})
    values: dict[str, Any] = {"media": entries}
    if not missing:
        values["digest"] = _digest(post, entries)
    elif post["state"] in _UNSENT:
        values.update(state="failed", last_error=_problem(post["id"], missing), updated_at=now)
        log.warning("post %s: %s -> failed (%s)", post["id"], post["state"], values["last_error"])
    connection.execute(sa.update(_posts).where(_posts.c.id == post["id"]).values(**values))


def _read(path: str) -> bytes | None:
    """The bytes of the file at ``path`` (relative to the current directory), or ``None``."""
    try:
        file = Path(path)
        return file.read_bytes() if file.is_file() else None
    except OSError:
        return None


def _digest(post: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """The post's digest as ``plan_digest`` computes it since this revision (frozen here)."""
    links = post["links"] or []
    parts = [
        post["text"],
        post["scheduled_at"].isoformat(),
        post["timezone"],
        str(post["thread_size"]),
        str(len(links)),
        *links,
        *(f"{entry['sha256']}\x1e{entry['alt']}" for entry in entries),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _problem(post_id: str, missing: list[str]) -> str:
    return (
        f"image {', '.join(missing)} could not be found when the ledger was upgraded; schedule "
        f"the campaign again from its folder, or `campaign retry {post_id}` once fixed"
    )
