"""What a plan means beyond its posts: the quota warnings and the estimated cost on X, shown
by ``validate``, ``preview`` and ``schedule`` before anything is queued."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from campaign.render.cost import XCost, x_cost
from campaign.render.plan_settings import PlanSettings
from campaign.render.post import Post
from campaign.render.quota_check import QuotaWarning, Timed, quota_warnings


@dataclass(frozen=True)
class PlanSummary:
    """The quota warnings of a plan and its cost on X."""

    warnings: tuple[QuotaWarning, ...]
    x_cost: XCost

    def to_json(self) -> dict[str, Any]:
        """The summary as ``--summary-json`` writes it."""
        return {
            "quota_warnings": [warning.to_json() for warning in self.warnings],
            "x_cost": self.x_cost.to_json(),
        }


def summarize(
    posts: Sequence[Post], settings: PlanSettings | None = None, queued: Sequence[Timed] = ()
) -> PlanSummary:
    """The summary of ``posts`` under ``settings`` (default: from the environment); the
    quotas also count the ``queued`` posts (the ledger's) that ``posts`` do not replace.

    Raises :class:`~campaign.errors.ConfigurationError` when a quota or price setting is
    malformed.
    """
    settings = settings or PlanSettings.load()
    planned = {post.id for post in posts}
    counted = [*posts, *(post for post in queued if post.id not in planned)]
    return PlanSummary(
        tuple(quota_warnings(counted, settings.quotas())), x_cost(posts, settings.x_prices())
    )
