"""The dry-run adapter: the same interface as a real platform, but it only prints."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import ClassVar

from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.platforms.base import PlatformSpec


class DryRunAdapter(Adapter):
    """Prints what would be published on ``spec``'s platform and pretends it went out."""

    look_back_reliable: ClassVar[bool] = True

    def __init__(self, spec: PlatformSpec, echo: Callable[[str], None] = print) -> None:
        self.spec = spec  # type: ignore[misc]  # per-instance: one dry-run adapter per platform
        self._echo = echo

    def publish(self, post: Outgoing) -> Receipt:
        """Print ``post`` and return a receipt whose id is derived from our post id."""
        reply = f" (reply to {post.reply_to})" if post.reply_to else ""
        media = "".join(f"\n  [image {m.name}: {m.alt}]" for m in post.media)
        self._echo(f"[dry-run {self.spec.name}] {post.post_id}{reply}\n{post.text}{media}")
        digest = hashlib.sha256(post.post_id.encode()).hexdigest()[:16]
        return Receipt(remote_id=f"dry-run-{digest}", url=None)

    def check_credentials(self) -> str:
        """No credentials are needed to pretend."""
        return f"(dry run: no {self.spec.title} account used)"

    def look_back(self, post: Outgoing) -> Receipt | None:
        """A dry run never publishes, so there is never anything to find."""
        return None
