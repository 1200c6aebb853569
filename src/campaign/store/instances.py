"""Each platform server's own limits, as ``campaign accounts check`` (or the daemon) last read
them: planning checks posts against them instead of the platform's defaults.

Only Mastodon servers set their own limits today (:class:`MastodonLimits`); one row per
platform, replaced on each read, with the time it was read.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Engine, Table, delete, insert, select

from campaign.platforms.base import PlatformSpec
from campaign.platforms.mastodon import MastodonLimits
from campaign.store.schema import InstanceRow

instances_table = cast(Table, InstanceRow.__table__)
MASTODON = "mastodon"


def save_limits(engine: Engine, limits: MastodonLimits) -> None:
    """Keep ``limits`` (read from the account's Mastodon server) in place of any read before."""
    if limits.read_at is None:
        raise ValueError("limits to keep must say when they were read")
    with engine.begin() as connection:
        connection.execute(delete(instances_table).where(instances_table.c.platform == MASTODON))
        connection.execute(
            insert(instances_table),
            {
                "platform": MASTODON,
                "server": limits.server,
                "limits": limits.to_json(),
                "read_at": limits.read_at,
            },
        )


def stored_limits(engine: Engine) -> MastodonLimits | None:
    """The Mastodon server's limits as last read, or ``None`` when they never were."""
    query = select(instances_table).where(instances_table.c.platform == MASTODON)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return MastodonLimits.from_json(row["limits"], row["server"], row["read_at"])


def server_specs(engine: Engine) -> dict[str, PlatformSpec]:
    """The platforms whose servers' own limits are stored, as specs that planning uses in
    place of the defaults (see :func:`campaign.render.planner.plan_files`)."""
    limits = stored_limits(engine)
    return {MASTODON: limits.spec()} if limits else {}
