"""campaign: social media campaigns as reviewable files, previewed exactly, published once.

The data flows through one subpackage per stage:

``records`` (event records and campaign files) → ``render`` (Jinja2 sandbox, lengths,
posts) → ``links`` (UTM tags, short links, redirector) → ``store`` (the ledger) →
``daemon`` (publishing on time) → ``adapters`` (one module per platform). ``cli`` is a thin
layer over all of them.
"""

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
