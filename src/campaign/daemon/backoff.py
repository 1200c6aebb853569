"""How long to wait before retrying a post after a retryable error."""

from __future__ import annotations

import random
from datetime import timedelta


def retry_delay(
    attempt: int, base_seconds: float, cap_seconds: float, rng: random.Random | None = None
) -> timedelta:
    """The wait before retry number ``attempt`` (1 for the first retry).

    Exponential (``base * 2**(attempt-1)``), capped at ``cap_seconds``, with "equal jitter":
    half of it fixed so a retry never comes at once, half random so posts that failed
    together (a platform outage) do not all retry in the same instant.
    """
    ceiling = min(cap_seconds, base_seconds * 2 ** max(attempt - 1, 0))
    jitter = (rng or random).uniform(0, ceiling / 2)
    return timedelta(seconds=ceiling / 2 + jitter)
