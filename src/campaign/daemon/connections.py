"""One live adapter per platform, built on first use from the environment (and ``.env``).

A platform whose credentials are missing or refused is not an error for the daemon: its posts
stay ``scheduled`` (nothing is marked failed for a setup problem), the daemon logs one loud
ERROR naming the variables to set, and tries again a minute later, so fixing ``.env`` is
enough. A platform that cannot be reached is tried again at the next poll. Every other
platform goes on. What an adapter notices without it stopping anything (a LinkedIn API version
near its retirement, a read the token has no scope for) is logged as a WARNING on connecting.

Posts hold an adapter through a :meth:`Connections.lease` while they use it. When one post's
permanent error makes the daemon :meth:`~Connections.forget` a platform, the next lease gets
a new adapter, and the old one is closed only when the last post still holding it is done:
never under a post in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from campaign.adapters.base import Adapter
from campaign.adapters.dryrun import DryRunAdapter
from campaign.adapters.registry import connect
from campaign.daemon.logs import event
from campaign.errors import CampaignError, ConfigurationError, PermanentError
from campaign.platforms.registry import platform

RETRY_SETUP_SECONDS = 60.0  # after missing or refused credentials
RETRY_REACH_SECONDS = 5.0  # after the platform could not be reached


@dataclass(eq=False)
class _Held:
    """An adapter and how many posts hold it; ``stale`` once forgotten (closed when unheld)."""

    adapter: Adapter
    holders: int = 0
    stale: bool = False


class Connections:
    """Adapters by platform name; ``dry_run`` gives each platform the dry-run adapter."""

    def __init__(self, dry_run: bool = False, echo: Callable[[str], None] = print) -> None:
        self._dry_run = dry_run
        self._echo = echo
        self._lock = threading.Lock()
        self._adapters: dict[str, _Held] = {}
        self._stale: list[_Held] = []  # forgotten, still held by a post
        self._problems: dict[str, tuple[str, float]] = {}  # platform -> (message, retry at)

    @contextmanager
    def lease(self, name: str) -> Iterator[Adapter | None]:
        """Hold platform ``name``'s adapter for the block (``None`` while it cannot be set up).

        The adapter stays open until the block ends, even if :meth:`forget` replaces it.
        """
        with self._lock:
            held = self._current(name)
            if held is not None:
                held.holders += 1
        if held is None:
            yield None
            return
        try:
            yield held.adapter
        finally:
            self._release(held)

    def live(self, name: str, adapter: Adapter) -> bool:
        """Whether ``adapter`` is still platform ``name``'s (not :meth:`forget`-ten since)."""
        with self._lock:
            held = self._adapters.get(name)
        return held is not None and held.adapter is adapter

    def get(self, name: str) -> Adapter | None:
        """Set up platform ``name``'s adapter if needed (to connect before a post is due).

        Returns it, or ``None`` while it cannot be set up; a post that uses it takes a
        :meth:`lease` instead, so that it is not closed under it.
        """
        with self._lock:
            held = self._current(name)
        return held.adapter if held is not None else None

    def forget(self, name: str) -> None:
        """Replace ``name``'s adapter (after it refused our credentials) so it is set up again.

        The old one is closed now if no post holds it, else when the last one lets go.
        """
        with self._lock:
            held = self._adapters.pop(name, None)
            if held is None:
                return
            held.stale = True
            if held.holders:
                self._stale.append(held)
                return
        held.adapter.close()

    def close(self) -> None:
        """Close every adapter, held or not (the daemon is stopping)."""
        with self._lock:
            every = [*self._adapters.values(), *self._stale]
            self._adapters, self._stale = {}, []
        for held in every:
            held.adapter.close()

    def _release(self, held: _Held) -> None:
        """One post lets go of ``held``; the last one closes it if it has been forgotten."""
        with self._lock:
            held.holders -= 1
            if not (held.stale and held.holders == 0 and held in self._stale):
                return
            self._stale.remove(held)
        held.adapter.close()

    def _current(self, name: str) -> _Held | None:
        """The live adapter for ``name``, set up now if needed; the caller holds the lock."""
        held = self._adapters.get(name)
        if held is not None:
            return held
        problem = self._problems.get(name)
        if problem and time.monotonic() < problem[1]:
            return None
        try:
            adapter = self._connect(name)
        except CampaignError as exc:
            self._report(name, exc, problem[0] if problem else None)
            return None
        self._problems.pop(name, None)
        held = self._adapters[name] = _Held(adapter)
        return held

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
        for notice in adapter.notices(datetime.now(UTC).date()):  # warnings; nothing waits
            event(logging.WARNING, "platform_notice", f"{spec.title}: {notice}", platform=name)
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
