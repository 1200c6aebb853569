"""Checking the platform accounts: are the credentials set, and does each platform accept them?

Works over :func:`campaign.platforms.registry.platforms` and
:func:`campaign.adapters.registry.connect`, so a new platform is covered without a line here.
``campaign accounts check`` prints the result, with any notices: warnings that hold nothing back
(a LinkedIn version near its retirement, a read the token has no scope for).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from campaign.adapters.registry import connect
from campaign.errors import CampaignError, ConfigurationError, RateLimited, RetryableError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.mastodon import MastodonLimits
from campaign.platforms.registry import platform, platforms


class Status(StrEnum):
    """The outcome of checking one platform."""

    OK = "ok"
    NOT_CONFIGURED = "not configured"
    FAILED = "failed"


@dataclass(frozen=True)
class AccountCheck:
    """One platform's result: the handle when the credentials work, else what is wrong, and
    what to watch even though publishing works (``notices``)."""

    platform: str
    title: str
    status: Status
    handle: str = ""
    message: str = ""
    notices: tuple[str, ...] = ()
    named: bool = False  # the user asked for this platform by name
    limits: MastodonLimits | None = None  # the server's own limits, where it sets them

    @property
    def failed(self) -> bool:
        """Whether this result should fail the command: a named platform that is not OK, or
        a configured one whose credentials were refused."""
        return self.status is Status.FAILED or (self.named and self.status is not Status.OK)

    def to_json(self) -> dict[str, Any]:
        """The result as ``--json`` prints it (never any credential)."""
        shown: dict[str, Any] = {
            k: str(getattr(self, k)) for k in ("platform", "title", "status", "handle")
        }
        shown["message"] = self.message
        shown["notices"] = list(self.notices)
        if self.limits is not None:
            read_at = self.limits.read_at.isoformat() if self.limits.read_at else None
            shown["limits"] = {
                **self.limits.to_json(),
                "server": self.limits.server,
                "read_at": read_at,
            }
        return shown


def check_accounts(
    names: Sequence[str] = (), env: Mapping[str, str] | None = None, today: date | None = None
) -> list[AccountCheck]:
    """Check the credentials of the platforms ``names`` (every known platform if empty).

    ``env`` is passed to each ``connect`` (None: the process environment and ``.env``);
    ``today`` dates the notices (None: today in UTC). Raises :class:`ConfigurationError` for
    an unknown platform name; every other problem is reported in the results.
    """
    specs = [platform(name) for name in names] if names else list(platforms().values())
    day = today or datetime.now(UTC).date()
    return [check_account(spec, env, named=bool(names), today=day) for spec in specs]


def check_account(
    spec: PlatformSpec,
    env: Mapping[str, str] | None = None,
    *,
    named: bool = False,
    today: date | None = None,
) -> AccountCheck:
    """Connect to ``spec``'s platform, ask it whose credentials these are, and gather the
    adapter's notices for ``today`` (None: today in UTC)."""
    try:
        adapter = connect(spec.name, env)
    except ConfigurationError as exc:
        return AccountCheck(
            spec.name, spec.title, Status.NOT_CONFIGURED, message=str(exc), named=named
        )
    try:
        handle = adapter.check_credentials()
        notices = tuple(adapter.notices(today or datetime.now(UTC).date()))
        limits = adapter.read_limits()
    except (RetryableError, RateLimited) as exc:  # the platform could not answer just now
        message = f"{exc}; the credentials were not checked: try again in a few minutes"
        return AccountCheck(spec.name, spec.title, Status.FAILED, message=message, named=named)
    except CampaignError as exc:
        return AccountCheck(spec.name, spec.title, Status.FAILED, message=str(exc), named=named)
    finally:
        adapter.close()
    return AccountCheck(
        spec.name,
        spec.title,
        Status.OK,
        handle=handle,
        notices=notices,
        named=named,
        limits=limits,
    )


def remember_limits(results: Sequence[AccountCheck], url: str | None = None) -> list[str]:
    """Keep in the ledger at ``url`` (default: the configured one, made if missing) the
    servers' own limits read by ``results``, for planning to check posts against; returns
    one line per server for people. Raises :class:`~campaign.errors.LedgerError` when the
    ledger cannot be written."""
    from campaign.store import Ledger
    from campaign.store.instances import save_limits

    read = [result.limits for result in results if result.limits is not None]
    if not read:
        return []
    with Ledger.open(url, write=True) as ledger:
        for limits in read:
            save_limits(ledger.engine, limits)
    return [
        f"{limits.server}: {limits.describe()} (read {limits.read_at:%Y-%m-%d %H:%M %Z}, "
        "kept in the ledger)"
        for limits in read
    ]
