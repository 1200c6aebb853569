"""Each post's history of state changes, and an index for reading posts by time.

Revision ID: 0006_history
Revises: 0005_worker_problem

Existing posts start their history with their current state, at their last change, marked
"state when the history began".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_history"
down_revision = "0005_worker_problem"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BEGAN = "state when the history began"


def upgrade() -> None:
    """Create ``post_events`` (seeded with each post's current state) and index
    ``posts.scheduled_at``."""
    op.create_table(
        "post_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(32), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("old_state", sa.String(16), nullable=True),
        sa.Column("new_state", sa.String(16), nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_post_events_post_id", "post_events", ["post_id"])
    op.create_index("ix_posts_scheduled_at", "posts", ["scheduled_at"])
    op.execute(
        sa.text(
            "INSERT INTO post_events (post_id, at, old_state, new_state, worker, reason, error) "
            "SELECT id, updated_at, NULL, state, claimed_by, :began, last_error FROM posts"
        ).bindparams(began=BEGAN)
    )


def downgrade() -> None:
    """Drop the history and the index."""
    op.drop_index("ix_posts_scheduled_at", table_name="posts")
    op.drop_table("post_events")
