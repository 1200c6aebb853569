"""The ``campaign`` command: a thin layer over the library.

Each module here registers the commands of one stage; every command parses its options,
calls one library function and turns a :class:`~campaign.errors.CampaignError` into a
message and an exit code (1 for invalid content or a failed operation, 2 for usage).
"""

from __future__ import annotations

import sys

from campaign.cli._app import app
from campaign.cli import plan_commands  # noqa: F401  (each import registers its commands)
from campaign.cli import queue_commands  # noqa: F401
from campaign.cli import links_commands  # noqa: F401
from campaign.cli import accounts_commands  # noqa: F401
from campaign.cli import daemon_commands  # noqa: F401


def main() -> None:
    """Entry point of the ``campaign`` console script."""
    sys.exit(app())


__all__ = ["app", "main"]
