"""``campaign run`` and ``campaign status`` as library calls (the CLI only parses options)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from campaign.daemon import status
from campaign.daemon.clock import Clock
from campaign.daemon.config import DaemonSettings
from campaign.daemon.ledger_watch import LedgerReplaced
from campaign.daemon.logs import event
from campaign.daemon.runtime import OnceReport, Runtime, run_once
from campaign.daemon.scheduler import run_forever
from campaign.daemon.server_limits import refresh_server_limits
from campaign.errors import ConfigurationError
from campaign.settings import invalid_settings
from campaign.store.ledger import Ledger


def load_settings() -> DaemonSettings:
    """The daemon's settings from the environment and ``.env``.

    Raises :class:`ConfigurationError` naming each malformed ``CAMPAIGN_*`` variable.
    """
    try:
        return DaemonSettings()
    except ValidationError as exc:
        raise ConfigurationError(invalid_settings(exc)) from None


def run(
    settings: DaemonSettings,
    *,
    once: bool = False,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> OnceReport | None:
    """Run the daemon until SIGTERM/SIGINT (``once``: until nothing more is due, then return
    what needs a person, also logged as an ERROR).

    ``dry_run`` publishes through the dry-run adapter (``echo`` prints each post) and
    records nothing in the ledger. Raises :class:`~campaign.errors.ConfigurationError` or
    :class:`~campaign.errors.LedgerError` when the ledger cannot be opened (or does not exist:
    only ``campaign schedule`` creates one), and :class:`LedgerReplaced` after stopping
    because it was deleted or replaced while it ran.
    """
    runtime = Runtime.open(settings, dry_run=dry_run, echo=echo, create=False)
    where = make_url(settings.ledger_url()).render_as_string(hide_password=True)
    mode = "once" if once else "daemon"
    event(
        logging.INFO,
        "started",
        f"{'dry run' if dry_run else 'publishing'} ({mode}) from {where}; poll every "
        f"{settings.poll_seconds:g} s, grace {settings.grace_minutes:g} min",
        worker=str(runtime.worker),
    )
    report = None
    try:
        with runtime.stop_on_signals(), runtime.alive():
            if not dry_run:
                refresh_server_limits(runtime)
            if once:
                report = run_once(runtime)
            else:
                run_forever(runtime)
    finally:
        runtime.close()
        event(logging.INFO, "stopped", "daemon stopped", worker=str(runtime.worker))
    if runtime.replaced is not None:
        raise LedgerReplaced(runtime.replaced)
    if report is not None and not report.ok:
        event(logging.ERROR, "needs_attention", report.summary(), worker=str(runtime.worker))
    return report


def check(
    settings: DaemonSettings, *, window: timedelta, ran_within: timedelta | None
) -> status.Health:
    """The health report ``campaign status`` prints (see :mod:`campaign.daemon.status`)."""
    with Ledger.open(settings.ledger_url(), grace=settings.grace, create=False) as ledger:
        now = Clock(timedelta(seconds=settings.clock_offset_seconds)).now()
        return status.check(
            ledger,
            now,
            stale_after=settings.stale_after,
            grace=settings.grace,
            window=window,
            ran_within=ran_within,
            notices=status.platform_notices(now.date()),
        )
