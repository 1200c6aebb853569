"""What a failed request tells us, shared by the adapters that speak HTTP through requests.

The one question that matters for exactly-once publishing is whether a failed request may
have reached the platform: if it provably did not (refused connection, connect timeout, TLS
handshake), a post can be sent again safely; otherwise its outcome is unknown.
"""

from __future__ import annotations

from datetime import datetime

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError


def may_have_been_sent(exc: BaseException | None) -> bool:
    """Whether the request may have reached the server (False only when it provably did not)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        cause = exc.args[0]
        if isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError):
            return False
    return True


def failure_reason(exc: BaseException | None) -> str:
    """A short, credential-free description of a transport failure."""
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.ReadTimeout):
        return "timed out waiting for the answer"
    if not may_have_been_sent(exc):
        return "connection refused or host unreachable"
    if isinstance(exc, requests.ConnectionError):
        return "connection closed before the answer"
    return f"no usable answer: {type(exc).__name__}"


def describe_time(moment: datetime | None) -> str:
    """A reset time for people, in UTC."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "an unknown time"
