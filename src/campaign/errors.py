"""Every error `campaign` raises, in one tree.

::

    CampaignError                      anything this package raises on purpose
    ├── InvalidCampaign                content a person wrote is wrong (file, line, field, fix)
    ├── ConfigurationError             settings or credentials missing or wrong; nothing attempted
    ├── LedgerError                    the queue database refused an operation
    └── PublishError                   a platform adapter could not publish
        ├── RetryableError             nothing was created; try again later (5xx, timeout,
        │                              connection refused before sending)
        ├── RateLimited                the account must wait until ``reset_at``
        ├── PermanentError             retrying will not help; ``str(e)`` says what to do
        └── OutcomeUnknown             the request was sent but no answer came: the post
                                       may exist, so look back before trying again

The daemon decides from the class alone; messages are for people and never carry secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


class CampaignError(Exception):
    """Base of every error raised on purpose by `campaign`."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file a person wrote, with where it is and how to fix it."""

    file: Path | str
    line: int | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        field = f" {self.field}:" if self.field else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}:{field} {self.message}{hint}"


class InvalidCampaign(CampaignError):
    """One or more problems in campaign files, event records or templates."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(
        cls, file: Path | str, line: int | None, field: str, message: str, hint: str = ""
    ) -> InvalidCampaign:
        """Build the error for a single problem."""
        return cls([Problem(file, line, field, message, hint)])


class ConfigurationError(CampaignError):
    """Settings or credentials are missing or wrong; the message names the variables to set."""


class LedgerError(CampaignError):
    """The queue database could not do what was asked (unknown id, wrong state, …)."""


class PublishError(CampaignError):
    """A platform adapter could not publish; the subclass tells the daemon what to do."""


class RetryableError(PublishError):
    """Nothing was created on the platform; the same request may be sent again later."""


class RateLimited(PublishError):
    """The account is rate-limited until ``reset_at`` (UTC); other accounts go on."""

    def __init__(self, message: str, reset_at: datetime | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class PermanentError(PublishError):
    """Retrying will not help; the message says what the user should change."""


class OutcomeUnknown(PublishError):
    """The request was sent but no answer came back: the post may exist on the platform."""
