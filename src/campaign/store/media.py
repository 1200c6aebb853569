"""The images queued posts carry, stored in the ledger by content so a post needs no files.

``campaign schedule`` stores the bytes of every image of its posts (:func:`store_images`, in
the sync's own transaction): one row per distinct image, keyed by its SHA-256, so the same
banner on forty posts is stored once and scheduling again stores nothing new. A post's
``media`` entries name their images by that hash, beside the path they were planned from and
their alt text; the daemon reads the bytes back when it claims the post (:func:`images_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from campaign.platforms.images import Image
from campaign.render.post import Post
from campaign.store.queued import StoredImage
from campaign.store.schema import MediaRow

media_table = cast(Table, MediaRow.__table__)
_CHUNK = 500
_STORED = select(media_table.c.sha256).where(
    media_table.c.sha256.in_(bindparam("b_shas", expanding=True))
)
_BYTES = select(media_table.c.sha256, media_table.c.media_type, media_table.c.data).where(
    media_table.c.sha256.in_(bindparam("b_shas", expanding=True))
)


def media_entries(post: Post) -> list[dict[str, str]]:
    """The ``posts.media`` JSON of ``post``: path, alt text, type and SHA-256 of each image."""
    return [
        {"path": m.source, "alt": m.alt, "mime_type": m.media_type, "sha256": m.sha256}
        for m in post.media
    ]


def store_images(connection: Connection, posts: Iterable[Post], now: datetime) -> int:
    """Store the bytes of every image of ``posts`` not stored yet; returns how many were new.

    Runs inside the caller's transaction; existing images are found first, so scheduling the
    same plan again sends no image bytes to the database.
    """
    return store_image_bytes(connection, [m for post in posts for m in post.media], now)


def store_image_bytes(connection: Connection, given: Iterable[Image], now: datetime) -> int:
    """Store the bytes of each of ``given`` not stored yet (as :func:`store_images` does for
    posts' images; link cards' pictures too); returns how many were new."""
    images = {m.sha256: m for m in given}
    if not images:
        return 0
    stored: set[str] = set()
    shas = list(images)
    for start in range(0, len(shas), _CHUNK):
        chunk = shas[start : start + _CHUNK]
        stored.update(connection.execute(_STORED, {"b_shas": chunk}).scalars())
    rows = [
        {
            "sha256": sha,
            "media_type": image.media_type,
            "size": len(image.data),
            "data": image.data,
            "created_at": now,
        }
        for sha, image in images.items()
        if sha not in stored
    ]
    for start in range(0, len(rows), _CHUNK):
        connection.execute(_insert_if_absent(connection), rows[start : start + _CHUNK])
    return len(rows)


def images_of(
    connection: Connection, media: Sequence[StoredImage]
) -> tuple[tuple[Image, ...], tuple[str, ...]]:
    """The images ``media`` names, with their bytes, and the paths of those not stored.

    An image is missing only in a ledger upgraded while its file could not be read (or
    changed by hand); whoever publishes must refuse such a post rather than send it short.
    """
    shas = [m.sha256 for m in media if m.sha256]
    found: dict[str, tuple[str, bytes]] = {}
    if shas:
        for sha, media_type, data in connection.execute(_BYTES, {"b_shas": shas}):
            found[sha] = (media_type, data)
    return matched_images(media, found)


def matched_images(
    media: Sequence[StoredImage], found: Mapping[str, tuple[str, bytes]]
) -> tuple[tuple[Image, ...], tuple[str, ...]]:
    """The images ``media`` names, given ``found`` (SHA-256 -> type and bytes, as read from
    the ledger), and the paths of those not found."""
    images: list[Image] = []
    missing: list[str] = []
    for item in media:
        stored = found.get(item.sha256 or "")
        if stored is None:
            missing.append(item.path)
        else:
            images.append(Image(item.path, stored[1], item.alt, stored[0]))
    return tuple(images), tuple(missing)


def _insert_if_absent(connection: Connection) -> Any:
    # A concurrent `schedule` may store the same image between our select and insert.
    dialect = connection.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(media_table).on_conflict_do_nothing(index_elements=["sha256"])
    if dialect == "postgresql":
        return postgresql.insert(media_table).on_conflict_do_nothing(index_elements=["sha256"])
    return insert(media_table)
