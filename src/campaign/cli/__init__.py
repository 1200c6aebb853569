"""The ``campaign`` command: a thin layer over the library.

Each module here registers the commands of one stage; every command parses its options,
calls one library function and turns a :class:`~campaign.errors.CampaignError` into a
message and an exit code (1 for invalid content or a failed operation, 2 for usage).
"""

from __future__ import annotations

import os
import sys

# Each import registers its stage's commands on ``app``.
from campaign.cli import (  # noqa: F401
    accounts_commands,
    daemon_commands,
    links_commands,
    plan_commands,
    queue_commands,
    report_commands,
    web_commands,
)
from campaign.cli._app import app, err

EXIT_INTERNAL = 70


def main() -> None:
    """Entry point of the ``campaign`` console script.

    A bug must not greet staff with a traceback: it is reported in one line with exit 70,
    and ``CAMPAIGN_DEBUG=1`` shows the traceback for whoever fixes it.
    """
    try:
        sys.exit(app())
    except Exception as exc:
        if os.environ.get("CAMPAIGN_DEBUG"):
            raise
        err.print(
            f"internal error ({type(exc).__name__}); this is a bug in campaign. "
            "Run again with CAMPAIGN_DEBUG=1 to see the details, and report it."
        )
        sys.exit(EXIT_INTERNAL)


__all__ = ["app", "main"]
