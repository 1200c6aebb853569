"""What a platform says about a published post's reception: its public figures, read once.

The daemon reads them at fixed ages after publishing (:mod:`campaign.daemon.metrics`) and
the ledger keeps each reading; a figure the platform does not give is ``None``, never a
made-up zero. A platform that gives no figures at all for a post (a deleted post, a token
without the scope to read them) says why in ``unavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass

FIGURES = ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions")


@dataclass(frozen=True)
class Engagement:
    """One post's public figures as its platform gave them (``None``: not given)."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    bookmarks: int | None = None
    impressions: int | None = None
    unavailable: str | None = None

    @classmethod
    def not_available(cls, why: str) -> Engagement:
        """A reading with no figures, saying why (and what to do, where anything helps)."""
        return cls(unavailable=why)

    def figures(self) -> dict[str, int | None]:
        """The figures by name, in :data:`FIGURES` order."""
        return {name: getattr(self, name) for name in FIGURES}


def count(value: object) -> int | None:
    """``value`` when the platform sent a whole, non-negative number, else ``None``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
