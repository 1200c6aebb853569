"""The ledger: posts, publishing attempts and daemon heartbeats.

Revision ID: 0001_ledger
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create posts, attempts and heartbeats."""
    op.create_table(
        "posts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("announcement", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("scheduled_at", UTC_TIME, nullable=False),
        sa.Column("not_before", UTC_TIME, nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("media", sa.JSON, nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("thread", sa.Integer, nullable=False),
        sa.Column("thread_size", sa.Integer, nullable=False),
        sa.Column("previous_id", sa.String(32), nullable=True),
        sa.Column("root_id", sa.String(32), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("remote_id", sa.String(300), nullable=True),
        sa.Column("remote_url", sa.String(500), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", UTC_TIME, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_posts_campaign", "posts", ["campaign"])
    op.create_index("ix_posts_state", "posts", ["state"])
    op.create_index("ix_posts_state_scheduled_at", "posts", ["state", "scheduled_at"])
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(32), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_attempts_post_id", "attempts", ["post_id"])
    op.create_table(
        "heartbeats",
        sa.Column("worker", sa.String(200), primary_key=True),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("beat_at", UTC_TIME, nullable=False),
        sa.Column("stopped", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    """Drop the ledger's tables."""
    op.drop_table("heartbeats")
    op.drop_table("attempts")
    op.drop_table("posts")
