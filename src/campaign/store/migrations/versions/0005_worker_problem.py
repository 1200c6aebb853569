"""A daemon says what keeps it from working (e.g. outcomes it cannot write) in its heartbeat.

Revision ID: 0005_worker_problem
Revises: 0004_media
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_worker_problem"
down_revision = "0004_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``heartbeats.problem``."""
    op.add_column("heartbeats", sa.Column("problem", sa.Text, nullable=True))


def downgrade() -> None:
    """Drop ``heartbeats.problem``."""
    with op.batch_alter_table("heartbeats") as batch:
        batch.drop_column("problem")
