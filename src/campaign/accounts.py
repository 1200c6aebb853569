"""Checking the platform accounts: are the credentials set, and does each platform accept them?

Works over :func:`campaign.platforms.registry.platforms` and
:func:`campaign.adapters.registry.connect`, so a new platform is covered without a line here.
``campaign accounts check`` prints the result, with any notices: warnings that hold nothing back
(a LinkedIn version near its retirement, a read the token has no scope for).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from campaign.adapters.registry import connect
from campaign.errors import CampaignError, ConfigurationError, RateLimited, RetryableError
from campaign.platforms.base import PlatformSpec
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

    @property
    def failed(self) -> bool:
        """Whether this result should fail the command: a named platform that is not OK, or
        a configured one whose credentials were refused."""
        return self.status is Status.FAILED or (self.named and self.status is not Status.OK)

    def to_json(self) -> dict[str, Any]:
        """The result as ``--json`` prints it (never any credential)."""
        fields = {k: str(v) for k, v in asdict(self).items() if k not in ("named", "notices")}
        return {**fields, "notices": list(self.notices)}


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
    except (RetryableError, RateLimited) as exc:  # the platform could not answer just now
        message = f"{exc}; the credentials were not checked: try again in a few minutes"
        return AccountCheck(spec.name, spec.title, Status.FAILED, message=message, named=named)
    except CampaignError as exc:
        return AccountCheck(spec.name, spec.title, Status.FAILED, message=str(exc), named=named)
    finally:
        adapter.close()
    return AccountCheck(
        spec.name, spec.title, Status.OK, handle=handle, notices=notices, named=named
    )
