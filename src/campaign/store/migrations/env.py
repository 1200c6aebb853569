"""Alembic environment for the ledger: runs on the connection :mod:`campaign.store.migrate` gives.

Users never call Alembic themselves; opening the ledger upgrades it. Developers adding a
revision can still run ``alembic revision`` with ``script_location`` pointing here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from campaign.store.schema import Base

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
