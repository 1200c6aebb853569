"""The publishing daemon: posts go out once, on time, or a person hears why not.

Flow: :mod:`~campaign.daemon.scheduler` (poll loop + APScheduler jobs) or
:func:`~campaign.daemon.runtime.run_once` hands due post ids to
:mod:`~campaign.daemon.publisher`, which claims each in the ledger
(:class:`campaign.store.worker.WorkerLedger`) and calls its adapter. :mod:`~campaign.daemon.status`
reports health for ``campaign status``.
"""

from campaign.daemon.clock import Clock
from campaign.daemon.config import DaemonSettings
from campaign.daemon.ledger_watch import EXIT_LEDGER_REPLACED, LedgerReplaced
from campaign.daemon.main import check, load_settings, run
from campaign.daemon.status import EXIT_ATTENTION, EXIT_HEALTHY, EXIT_NO_DAEMON, Health

__all__ = [
    "EXIT_ATTENTION",
    "EXIT_HEALTHY",
    "EXIT_LEDGER_REPLACED",
    "EXIT_NO_DAEMON",
    "Clock",
    "DaemonSettings",
    "Health",
    "LedgerReplaced",
    "check",
    "load_settings",
    "run",
]
