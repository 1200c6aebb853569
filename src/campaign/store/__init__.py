"""The ledger: a durable queue of every planned post and what became of it.

``Ledger.open(url)`` opens (and creates or upgrades) the database; ``sync`` records a plan,
``list``/``get`` read it, ``cancel``/``retry``/``resolve`` are a person's moves. The states
and their allowed moves are in :mod:`campaign.store.states`.
"""

from campaign.store.ledger import Ledger
from campaign.store.queued import QueuedPost
from campaign.store.sync import SyncReport

__all__ = ["Ledger", "QueuedPost", "SyncReport"]
