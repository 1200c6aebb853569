"""One live adapter per platform, built on first use from the environment (and ``.env``).

A platform whose credentials are missing or refused is not an error for the daemon: its posts
stay ``scheduled`` (nothing is marked failed for a setup problem), the daemon logs one loud
ERROR naming the variables to set, and tries again a minute later, so fixing ``.env`` is
enough. A platform that cannot be reached is tried again at the next poll. Every other
platform goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from campaign.adapters.base import Adapter
from campaign.adapters.dryrun import DryRunAdapter
from campaign.adapters.registry import connect
from campaign.daemon.logs import event
from campaign.errors import CampaignError, ConfigurationError, PermanentError
from campaign.platforms.registry import platform

RETRY_SETUP_SECONDS = 60.0  # after missing or refused credentials
RETRY_REACH_SECONDS = 5.0  # after the platform could not be reached


class Connections:
    """Adapters by platform name; ``dry_run`` gives each platform the dry-run adapter."""

    def __init__(self, dry_run: bool = False, echo: Callable[[str], None] = print) -> None:
        self._dry_run = dry_run
        self._echo = echo
        self._lock = threading.Lock()
        self._adapters: dict[str, Adapter] = {}
        self._problems: dict[str, tuple[str, float]] = {}  # platform -> (message, retry at)

    def get(self, name: str) -> Adapter | None:
        """The adapter for platform ``name``, or ``None`` while it cannot be set up."""
        with self._lock:
            adapter = self._adapters.get(name)
            if adapter is not None:
                return adapter
            problem = self._problems.get(name)
            if problem and time.monotonic() < problem[1]:
                return None
            try:
                adapter = self._connect(name)
            except CampaignError as exc:
                self._report(name, exc, problem[0] if problem else None)
                return None
            self._problems.pop(name, None)
            self._adapters[name] = adapter
            return adapter

    def forget(self, name: str) -> None:
        """Drop ``name``'s adapter (after it refused our credentials) so it is set up again."""
        with self._lock:
            adapter = self._adapters.pop(name, None)
        if adapter is not None:
            adapter.close()

    def close(self) -> None:
        """Close every adapter."""
        with self._lock:
            adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            adapter.close()

    def _connect(self, name: str) -> Adapter:
        spec = platform(name)
        if self._dry_run:
            return DryRunAdapter(spec, echo=self._echo)
        adapter = connect(spec.name)
        try:
            handle = adapter.check_credentials()
        except BaseException:
            adapter.close()
            raise
        event(logging.INFO, "connected", f"publishing to {spec.title} as {handle}", platform=name)
        return adapter

    def _report(self, name: str, exc: CampaignError, before: str | None) -> None:
        """Log a setup problem loudly the first time, and again only when it changes."""
        message = str(exc)
        setup = isinstance(exc, ConfigurationError | PermanentError)
        wait = RETRY_SETUP_SECONDS if setup else RETRY_REACH_SECONDS
        self._problems[name] = (message, time.monotonic() + wait)
        if message == before:
            return
        if setup:
            event(
                logging.ERROR,
                "platform_unavailable",
                f"{message}. Posts for {name} stay scheduled until this is fixed "
                f"(checked again every {RETRY_SETUP_SECONDS:.0f} s); other platforms go on",
                platform=name,
            )
        else:
            event(
                logging.WARNING,
                "platform_unavailable",
                f"cannot reach {name} yet: {message}",
                platform=name,
            )
