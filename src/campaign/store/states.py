"""The states a post moves through in the ledger, and which moves are allowed.

::

    scheduled ──claim──▶ sending ──▶ sent
        ▲  │                │  └───▶ failed ──retry──▶ scheduled
        │  │                │  └───▶ unknown ─resolve─▶ sent | scheduled
        │  │                └──────▶ scheduled (retryable error, backoff)
        │  └──▶ missed (time passed by more than the grace window) ──retry──▶ scheduled
        └───── cancelled (``campaign cancel`` or ``schedule --prune``) ──retry──▶ scheduled

``sent`` is final. A post in ``sending``, ``sent`` or ``unknown`` may exist on its platform,
so nothing but the daemon and ``campaign resolve`` ever touches it.
"""

from __future__ import annotations

import logging

from campaign.errors import LedgerError

SCHEDULED = "scheduled"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
MISSED = "missed"
CANCELLED = "cancelled"
UNKNOWN = "unknown"

STATES: tuple[str, ...] = (SCHEDULED, SENDING, SENT, FAILED, MISSED, CANCELLED, UNKNOWN)

#: Posts that may be on their platform: planning never changes them.
MAYBE_PUBLISHED: frozenset[str] = frozenset({SENDING, SENT, UNKNOWN})

#: Posts that ``campaign schedule`` may update from changed files (and prune).
PLANNABLE: frozenset[str] = frozenset({SCHEDULED, FAILED, MISSED})

TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({SENDING, MISSED, CANCELLED, FAILED}),
    SENDING: frozenset({SENT, SCHEDULED, FAILED, UNKNOWN}),
    SENT: frozenset(),
    FAILED: frozenset({SCHEDULED, MISSED, CANCELLED}),
    MISSED: frozenset({SCHEDULED, CANCELLED}),
    CANCELLED: frozenset({SCHEDULED}),
    UNKNOWN: frozenset({SENT, SCHEDULED, FAILED}),
}


def can_move(current: str, new: str) -> bool:
    """Whether a post in state ``current`` may move to ``new``."""
    return new in TRANSITIONS.get(current, frozenset())


def check_state(state: str) -> str:
    """Return ``state`` if it is a known state name.

    Raises :class:`~campaign.errors.LedgerError` listing the valid names otherwise.
    """
    if state not in STATES:
        raise LedgerError(f"unknown state {state!r}; use one of: {', '.join(STATES)}")
    return state


log = logging.getLogger("campaign.ledger")


def log_change(post_id: str, old: str | None, new: str, why: str = "") -> None:
    """Log one state change of one post (``old`` is ``None`` for a post just planned)."""
    log.info("post %s: %s -> %s%s", post_id, old or "new", new, f" ({why})" if why else "")
