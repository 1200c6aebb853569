"""What X charges per request, to estimate a campaign's cost before it is queued.

X bills its API per request: creating a post costs more when the post holds a URL, and each
image's alt text is one media-metadata request. :data:`X_PRICES` are X's published prices on
the date given; settings override each (``CAMPAIGN_X_PRICE_POST`` …). The other platforms
charge nothing per post. Pure: nothing here reads a file, the environment or the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PriceTable:
    """US dollars per request: a post without a URL, a post with one, one image's metadata."""

    post: Decimal
    post_with_url: Decimal
    media: Decimal
    source: str
    as_of: str


X_PRICES = PriceTable(
    post=Decimal("0.015"),
    post_with_url=Decimal("0.20"),
    media=Decimal("0.005"),
    source="https://docs.x.com/x-api/getting-started/pricing",
    as_of="2026-12",
)
"""X's published prices per request, as read on ``as_of``."""
