"""The ledger: a durable queue of every planned post and what became of it.

``Ledger.open(url)`` opens (and creates or upgrades) the database; ``sync`` records a plan,
``list``/``get`` read it, ``cancel``/``retry``/``resolve`` are a person's moves. The states
and their allowed moves are in :mod:`campaign.store.states`.

The names below are imported when first asked for, so that reading the states (as the
command line does for its help) does not load SQLAlchemy and Alembic.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaign.store.ledger import Ledger
    from campaign.store.queued import QueuedPost
    from campaign.store.sync import SyncReport

__all__ = ["Ledger", "QueuedPost", "SyncReport"]

_HOMES = {
    "Ledger": "campaign.store.ledger",
    "QueuedPost": "campaign.store.queued",
    "SyncReport": "campaign.store.sync",
}


def __getattr__(name: str) -> Any:
    """``Ledger``, ``QueuedPost`` and ``SyncReport``, imported on first use (PEP 562)."""
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'campaign.store' has no attribute {name!r}")
