"""At start, the daemon reads the limits of each server that sets its own (a Mastodon
server's ``/api/v2/instance``) and keeps them in the ledger, so that the next ``validate``,
``preview`` and ``schedule`` check posts against what the server takes today.

Only platforms with posts due within the daemon's horizon are asked (those it connects to
anyway); a server that cannot answer is logged and publishing goes on: the adapter checks a
post against the server's limits again before sending it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from campaign.daemon.logs import event
from campaign.errors import CampaignError
from campaign.store.instances import save_limits

if TYPE_CHECKING:
    from campaign.daemon.runtime import Runtime


def refresh_server_limits(runtime: Runtime) -> None:
    """Read and keep the own limits of the servers of the platforms due within the horizon."""
    until = runtime.clock.now() + timedelta(seconds=runtime.settings.horizon_seconds)
    try:
        names = sorted(runtime.book.platforms_due(until))
    except SQLAlchemyError as exc:
        event(logging.WARNING, "limits_unread", f"servers' limits not read: {exc}")
        return
    for name in names:
        with runtime.publisher.connections.lease(name) as adapter:
            if adapter is None:
                continue
            try:
                limits = adapter.read_limits()
            except CampaignError as exc:
                event(logging.WARNING, "limits_unread", f"{name}: server's limits not read: {exc}")
                continue
        if limits is None:
            continue
        try:
            save_limits(runtime.ledger.engine, limits)
        except SQLAlchemyError as exc:
            event(logging.WARNING, "limits_unread", f"{name}: server's limits not kept: {exc}")
            continue
        event(logging.INFO, "limits_read", f"limits of {limits.server}: {limits.describe()}")
