"""Which adapter talks to which platform: an explicit table of the modules that connect.

Each module is imported when its platform is first connected, so a daemon that publishes
only to Mastodon never loads tweepy or atproto.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Protocol, cast

from campaign.adapters.base import Adapter
from campaign.platforms.registry import canonical

_CONNECTORS = {
    "bluesky": "campaign.adapters._bluesky_adapter",
    "linkedin": "campaign.adapters._linkedin_adapter",
    "mastodon": "campaign.adapters._mastodon_adapter",
    "twitter": "campaign.adapters._x_adapter",
}


class _Connector(Protocol):
    def connect(self, env: Mapping[str, str] | None = None) -> Adapter: ...


def connect(name: str, env: Mapping[str, str] | None = None) -> Adapter:
    """A live adapter for platform ``name`` built from its settings (``env`` None: the
    process environment and ``.env``; a mapping is used as is).

    Raises :class:`~campaign.errors.ConfigurationError` for an unknown platform, or naming
    every missing setting, before any request is made.
    """
    module = importlib.import_module(_CONNECTORS[canonical(name)])
    return cast(_Connector, module).connect(env)
