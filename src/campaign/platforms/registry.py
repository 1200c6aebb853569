"""Every platform `campaign` knows, by name: an explicit table, so adding one is one line here
beside its module."""

from __future__ import annotations

from types import MappingProxyType

from campaign.errors import ConfigurationError
from campaign.platforms import bluesky, linkedin, mastodon, twitter
from campaign.platforms.base import PlatformSpec

PLATFORMS = MappingProxyType(
    {spec.name: spec for spec in (bluesky.SPEC, linkedin.SPEC, mastodon.SPEC, twitter.SPEC)}
)
_BY_ALIAS = {alias: spec for spec in PLATFORMS.values() for alias in spec.aliases}


def platforms() -> dict[str, PlatformSpec]:
    """Every known platform by name (``bluesky``, ``linkedin``, ``mastodon``, ``twitter``)."""
    return dict(PLATFORMS)


def platform(name: str) -> PlatformSpec:
    """The spec of platform ``name``, or of the platform ``name`` is an alias of (``x``).

    Raises :class:`ConfigurationError` naming the known platforms when ``name`` is neither.
    """
    spec = PLATFORMS.get(name) or _BY_ALIAS.get(name)
    if spec is None:
        raise ConfigurationError(
            f"unknown platform {name!r}; use one of: {', '.join(PLATFORMS)}"
            + "".join(f" ({s.name} is also called {', '.join(s.aliases)})" for s in _aliased())
        )
    return spec


def canonical(name: str) -> str:
    """The platform's own name for ``name`` (``x`` → ``twitter``); see :func:`platform`."""
    return platform(name).name


def _aliased() -> list[PlatformSpec]:
    return [spec for spec in PLATFORMS.values() if spec.aliases]
