"""Each reading of a sent post's public figures (likes, reposts, replies, …).

Revision ID: 0009_metrics
Revises: 0008_instances
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_metrics"
down_revision = "0008_instances"
branch_labels = None
depends_on = None

FIGURES = ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions")


def upgrade() -> None:
    """Create ``post_metrics``, indexed by post and age."""
    op.create_table(
        "post_metrics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(32), nullable=False),
        sa.Column("age_seconds", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        *(sa.Column(name, sa.Integer, nullable=True) for name in FIGURES),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_post_metrics_post_id_age", "post_metrics", ["post_id", "age_seconds"])


def downgrade() -> None:
    """Drop the readings."""
    op.drop_table("post_metrics")
