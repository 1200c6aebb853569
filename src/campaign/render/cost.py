"""The estimated cost of a plan on X, which bills its API per request: each post (more when
it holds a URL) and each image's alt text (one media-metadata request)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaign.platforms.prices import PriceTable
from campaign.platforms.urls import url_spans
from campaign.render.post import Post


@dataclass(frozen=True)
class XCost:
    """How many billed requests a plan makes on X, and what they cost at ``prices``."""

    posts: int
    posts_with_url: int
    media: int
    prices: PriceTable

    @property
    def total(self) -> Decimal:
        """The estimate in US dollars."""
        prices = self.prices
        return (
            self.posts * prices.post
            + self.posts_with_url * prices.post_with_url
            + self.media * prices.media
        )

    def __str__(self) -> str:
        prices = self.prices
        return (
            f"Estimated cost on X: ${self.total:.3f} ({self.posts} post(s) without a URL at "
            f"${prices.post}, {self.posts_with_url} with a URL at ${prices.post_with_url}, "
            f"{self.media} image(s) at ${prices.media}; prices of {prices.as_of}, "
            f"{prices.source})"
        )

    def to_json(self) -> dict[str, Any]:
        """The estimate as ``--summary-json`` writes it (amounts as strings, exact)."""
        prices = self.prices
        return {
            "currency": "USD",
            "total": str(self.total),
            "posts": self.posts,
            "posts_with_url": self.posts_with_url,
            "media": self.media,
            "prices": {
                "post": str(prices.post),
                "post_with_url": str(prices.post_with_url),
                "media": str(prices.media),
                "as_of": prices.as_of,
                "source": prices.source,
            },
        }


def x_cost(posts: Iterable[Post], prices: PriceTable) -> XCost:
    """The cost of the X posts among ``posts`` (every thread part is one post) at ``prices``."""
    plain = with_url = media = 0
    for post in posts:
        if post.platform != "twitter":
            continue
        if url_spans(post.text):
            with_url += 1
        else:
            plain += 1
        media += len(post.media)
    return XCost(plain, with_url, media, prices)
