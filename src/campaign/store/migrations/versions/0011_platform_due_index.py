"""A platform's next due post is found by index, whatever other platforms have due.

Revision ID: 0011_platform_due_index
Revises: 0010_click_hits
"""

from __future__ import annotations

from alembic import op

revision = "0011_platform_due_index"
down_revision = "0010_click_hits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index posts by state, platform and time, in place of the index by state alone."""
    op.create_index(
        "ix_posts_state_platform_scheduled_at", "posts", ["state", "platform", "scheduled_at"]
    )
    op.drop_index("ix_posts_state", "posts")


def downgrade() -> None:
    """The index by state alone again."""
    op.create_index("ix_posts_state", "posts", ["state"])
    op.drop_index("ix_posts_state_platform_scheduled_at", "posts")
