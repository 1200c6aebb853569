"""First-party link tracking: short links and the clicks counted through them.

Revision ID: 0002_links
Revises: 0001_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_links"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create short_links and clicks."""
    op.create_table(
        "short_links",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("post_id", sa.String(32), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("announcement", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_short_links_post_id", "short_links", ["post_id"])
    op.create_index("ix_short_links_campaign", "short_links", ["campaign"])
    op.create_table(
        "clicks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), sa.ForeignKey("short_links.code"), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("referrer_host", sa.String(255), nullable=True),
        sa.Column("agent_class", sa.String(32), nullable=False),
        sa.Column("is_bot", sa.Boolean, nullable=False),
    )
    op.create_index("ix_clicks_code", "clicks", ["code"])
    op.create_index("ix_clicks_at", "clicks", ["at"])


def downgrade() -> None:
    """Drop the link-tracking tables."""
    op.drop_table("clicks")
    op.drop_table("short_links")
