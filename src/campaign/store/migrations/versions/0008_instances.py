"""Each server's own limits as last read, and the link cards of the pages posts link to.

Revision ID: 0008_instances
Revises: 0007_language
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_instances"
down_revision = "0007_language"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``instances`` and ``link_cards``."""
    op.create_table(
        "instances",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("server", sa.String(255), nullable=False),
        sa.Column("limits", sa.JSON, nullable=False),
        sa.Column("read_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "link_cards",
        sa.Column("uri", sa.String(2000), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("thumb_sha256", sa.String(64), nullable=True),
        sa.Column("readable", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("fetched_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("link_cards")
    op.drop_table("instances")
