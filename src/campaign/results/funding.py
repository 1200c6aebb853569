"""Each campaign's funding acknowledgement, for the HTML report: ``vars.funding`` in its
campaign file (the file the ledger recorded as each post's source).

EU projects must acknowledge their funding in what they publish and report; the report
shows the statement as the campaign file words it. A file that is gone or no longer valid
simply gives no statement: the report is still written.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Engine, Table, select

from campaign.errors import CampaignError
from campaign.records.campaign_file import load_campaign
from campaign.store.schema import PostRow

_posts = cast(Table, PostRow.__table__)


def funding_statements(engine: Engine, campaigns: list[str]) -> dict[str, str]:
    """``vars.funding`` of each of ``campaigns`` whose campaign file can still be read."""
    query = select(_posts.c.campaign, _posts.c.source).where(_posts.c.campaign.in_(campaigns))
    with engine.connect() as connection:
        sources: dict[str, str] = {row.campaign: row.source for row in connection.execute(query)}
    found: dict[str, str] = {}
    for campaign, source in sources.items():
        path = Path(source.rsplit(":", 1)[0]) if source else None
        if path is None or not path.is_file():
            continue
        try:
            statement = load_campaign(path).spec.vars.get("funding")
        except (CampaignError, OSError):
            continue
        if isinstance(statement, str) and statement.strip():
            found[campaign] = " ".join(statement.split())
    return found
