"""Each post's language (a BCP 47 tag), for the platforms and the calendar's filter.

Revision ID: 0007_language
Revises: 0006_history

Posts queued before have none (``NULL``), as have the posts of campaigns without
``languages:``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_language"
down_revision = "0006_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``posts.language``."""
    op.add_column("posts", sa.Column("language", sa.String(35), nullable=True))


def downgrade() -> None:
    """Drop ``posts.language``."""
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("language")
