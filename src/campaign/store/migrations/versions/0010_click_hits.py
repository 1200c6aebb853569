"""Each ``clicks`` row counts its clicks: the redirector stores a row per link and second.

Revision ID: 0010_click_hits
Revises: 0009_metrics
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_click_hits"
down_revision = "0009_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``clicks.hits``; every row stored so far is one click."""
    op.add_column("clicks", sa.Column("hits", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    """Drop ``clicks.hits`` (a ledger downgraded this way counts rows, not clicks)."""
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("hits")
