"""The ledger's identity: a random id stored once, so a daemon can tell it was replaced.

Revision ID: 0003_ledger_id
Revises: 0002_links
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003_ledger_id"
down_revision = "0002_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create meta (key/value) and store this ledger's id in it."""
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "ledger_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    """Drop the meta table."""
    op.drop_table("meta")
