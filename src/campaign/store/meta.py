"""Facts about the ledger itself, kept in its ``meta`` table.

``ledger_id`` is random and written once, when the ledger is created: it tells one ledger
from another at the same address (a file restored from a backup, a database created again),
so that a daemon notices the swap and the redirector never replays one ledger's clicks into
another.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from campaign.store.schema import LEDGER_ID, MetaRow


def ledger_id(engine: Engine) -> str | None:
    """The ledger's id (``None`` for a database not yet migrated to hold one).

    Raises ``SQLAlchemyError`` when the database cannot be read.
    """
    with engine.connect() as connection:
        return connection.execute(
            select(MetaRow.value).where(MetaRow.key == LEDGER_ID)
        ).scalar_one_or_none()


def check_writable(engine: Engine) -> None:
    """Write to the ledger without changing it (its id over itself), to learn whether it can
    be written now. Raises ``SQLAlchemyError`` when it cannot (read-only, locked, full)."""
    with engine.begin() as connection:
        connection.execute(
            update(MetaRow).where(MetaRow.key == LEDGER_ID).values(value=MetaRow.value)
        )
