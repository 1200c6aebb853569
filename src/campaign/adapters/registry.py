"""Which adapter talks to which platform: an explicit table of adapter classes.

Each class's module is imported when its platform is first connected, so a daemon that
publishes only to Mastodon never loads tweepy or atproto. Connecting is the same for every
platform: read the adapter's settings (its ``settings_type``), require its credentials,
build it; nothing is sent until it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import cast

from campaign.adapters.base import Adapter
from campaign.platforms.registry import canonical

ADAPTERS = {
    "bluesky": "campaign.adapters._bluesky_adapter:BlueskyAdapter",
    "linkedin": "campaign.adapters._linkedin_adapter:LinkedInAdapter",
    "mastodon": "campaign.adapters._mastodon_adapter:MastodonAdapter",
    "twitter": "campaign.adapters._x_adapter:XAdapter",
}


def adapter_type(name: str) -> type[Adapter]:
    """The adapter class of platform ``name`` (``x`` is ``twitter``), its module imported.

    Raises :class:`~campaign.errors.ConfigurationError` for an unknown platform.
    """
    module, _, class_name = ADAPTERS[canonical(name)].partition(":")
    return cast(type[Adapter], getattr(importlib.import_module(module), class_name))


def connect(name: str, env: Mapping[str, str] | None = None) -> Adapter:
    """A live adapter for platform ``name`` built from its settings (``env`` None: the
    process environment and ``.env``; a mapping is used as is).

    Raises :class:`~campaign.errors.ConfigurationError` for an unknown platform, or naming
    every missing or invalid setting, before any request is made.
    """
    kind = adapter_type(name)
    settings = kind.settings_type.load(env)
    settings.require(kind.spec.title)
    return kind.from_settings(settings)
