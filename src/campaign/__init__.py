"""campaign: social media campaigns as reviewable files, previewed exactly, published once.

The package is layered along the data flow (docs/architecture.md): ``platforms`` (what
each platform is) → ``records`` (campaign files, event records, images) and ``tagging``
(UTM tags, short codes) → ``render`` (the sandboxed planner) → ``store`` (the ledger),
``adapters`` (one per platform) and ``alerts`` → ``daemon``, ``clicks`` (the redirector)
and ``accounts`` → ``results`` → ``web`` → ``cli``, a thin layer over all of them.

``Post`` is imported when first asked for: it brings the platforms' length rules
(twitter-text), which ``import campaign`` alone, as ``campaign --help`` does, need not load.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from campaign.errors import (
    CampaignError,
    ConfigurationError,
    InvalidCampaign,
    OutcomeUnknown,
    PermanentError,
    Problem,
    PublishError,
    RateLimited,
    RetryableError,
)

if TYPE_CHECKING:
    from campaign.render.post import Post

__all__ = [
    "CampaignError",
    "ConfigurationError",
    "InvalidCampaign",
    "OutcomeUnknown",
    "PermanentError",
    "Post",
    "Problem",
    "PublishError",
    "RateLimited",
    "RetryableError",
]


def __getattr__(name: str) -> Any:
    """``campaign.Post``, imported on first use (PEP 562)."""
    if name == "Post":
        return import_module("campaign.render.post").Post
    raise AttributeError(f"module 'campaign' has no attribute {name!r}")
