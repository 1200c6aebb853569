"""The configured ledger, opened only if it is already there, for commands that must not
change one: ``validate`` and ``preview`` read what it knows (a server's limits, link cards,
the short-link key) and plan without it otherwise."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from campaign.errors import CampaignError
from campaign.settings import Settings
from campaign.store.engine import open_engine, parse_url, sqlite_file
from campaign.store.migrate import current_revision, head_revision


def existing_engine() -> Engine | None:
    """An engine on the ledger ``CAMPAIGN_DATABASE_URL`` names, when it exists and is at
    this version's schema; ``None`` when there is none, it cannot be reached, the setting is
    unusable, or its schema is older or newer (the next ``schedule`` or ``run`` upgrades
    it). Never creates, upgrades or writes anything, and raises nothing."""
    try:
        url = Settings().ledger_url()
        path = sqlite_file(parse_url(url))
        if path is not None and not path.exists():
            return None
        engine = open_engine(url, create=False)
    except (CampaignError, ValueError):
        return None
    try:
        if current_revision(engine) == head_revision():
            return engine
    except SQLAlchemyError:
        pass
    engine.dispose()
    return None
