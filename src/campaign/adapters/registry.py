"""Finds the platform adapters: every module of :mod:`campaign.adapters` that defines ``SPEC``.

Support modules (``base``, ``registry``, ``dryrun`` and anything starting with ``_``) are
skipped, so a new platform needs no line here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from campaign import adapters
from campaign.adapters.base import PlatformSpec
from campaign.errors import ConfigurationError

_SUPPORT_MODULES = frozenset({"base", "registry", "dryrun"})


@cache
def platforms() -> dict[str, PlatformSpec]:
    """Every known platform by name (``twitter``, ``linkedin``, ``mastodon``, ``bluesky``)."""
    found: dict[str, PlatformSpec] = {}
    for module in pkgutil.iter_modules(adapters.__path__):
        if module.name in _SUPPORT_MODULES or module.name.startswith("_"):
            continue
        spec = getattr(importlib.import_module(f"campaign.adapters.{module.name}"), "SPEC", None)
        if isinstance(spec, PlatformSpec):
            found[spec.name] = spec
    return dict(sorted(found.items()))


def platform(name: str) -> PlatformSpec:
    """The spec of platform ``name``.

    Raises :class:`ConfigurationError` naming the known platforms when ``name`` is not one.
    """
    known = platforms()
    try:
        return known[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown platform {name!r}; use one of: {', '.join(known)}"
        ) from None
