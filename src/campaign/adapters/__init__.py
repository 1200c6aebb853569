"""How to talk to each platform: settings, connect, publish, look-back, error mapping.

Imported only by the daemon and by ``campaign accounts``; what a platform *is* lives in
:mod:`campaign.platforms`.
"""

from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.adapters.registry import connect

__all__ = ["Adapter", "Outgoing", "Receipt", "connect"]
