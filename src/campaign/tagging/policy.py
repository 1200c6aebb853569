"""Which links a campaign tracks and how: the ``links`` section of a campaign file.

Host policy: a link is tracked when its host is the campaign ``site``'s host or one of
``links.track_domains``, compared case-insensitively and in IDNA form (``παράδειγμα.ελ`` is
``xn--hxajbheg2az3al.xn--qxam``), where ``example.org`` and ``www.example.org`` count as
the same host. Other subdomains are not implied: list
``blog.example.org`` in ``track_domains`` to track it. Links to any other host are left
exactly as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from urllib.parse import urlsplit

from pydantic import SecretStr

from campaign.tagging.iri import comparable_host, link_host
from campaign.tagging.utm import UTM_KEYS

DEFAULT_MEDIUM = "social"


def _bare_host(host: str) -> str:
    return comparable_host(host.strip()).removeprefix("www.")


def _http_host(url: str, what: str) -> str:
    """The host of an ``http(s)`` URL; ``ValueError`` naming ``what`` otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} {url!r} is not an http(s) URL; use e.g. https://www.example.org/")
    return parts.hostname


@dataclass(frozen=True)
class LinkPolicy:
    """How a campaign's links are tagged and shortened.

    ``utm`` overrides the defaults per campaign (keys ``source``, ``medium``, ``campaign``,
    ``content``, ``term``; fixed strings). ``shorten`` needs ``base``, the public URL the redirector
    (``campaign serve-links``) answers at; codes are served at its root. ``secret`` is the
    short-code key; left ``None`` it comes from ``CAMPAIGN_LINKS_SECRET`` when needed, and
    without either, short links are placeholders.

    Raises ``ValueError`` for a ``site``/``base`` that is not an http(s) URL, an unknown
    ``utm`` key, or ``shorten`` without ``base``.
    """

    site: str
    track_domains: tuple[str, ...] = ()
    utm: Mapping[str, str] = field(default_factory=dict)
    shorten: bool = False
    base: str | None = None
    secret: SecretStr | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        _http_host(self.site, "site")
        unknown = sorted(set(self.utm) - set(UTM_KEYS))
        if unknown:
            raise ValueError(
                f"links.utm: unknown key(s) {', '.join(unknown)}; use {', '.join(UTM_KEYS)}"
            )
        object.__setattr__(self, "utm", MappingProxyType(dict(self.utm)))
        object.__setattr__(self, "track_domains", tuple(self.track_domains))
        if self.shorten and not self.base:
            raise ValueError(
                "links.shorten needs links.base, the URL serve-links answers at, "
                "e.g. https://go.example.org"
            )
        if self.base:
            _http_host(self.base, "links.base")

    @cached_property
    def hosts(self) -> frozenset[str]:
        """Every host name tracked, each with and without ``www.``."""
        names = [_http_host(self.site, "site")]
        for domain in self.track_domains:
            names.append(
                _http_host(domain, "links.track_domains entry") if "://" in domain else domain
            )
        bare = {_bare_host(name) for name in names}
        return frozenset(bare | {f"www.{name}" for name in bare})

    def tracks(self, url: str) -> bool:
        """Whether ``url`` points at the site or a tracked domain (see the module docstring)."""
        host = link_host(url)
        return host is not None and host in self.hosts

    def utm_values(self, *, platform: str, campaign: str, content: str) -> dict[str, str]:
        """The UTM values for one post: the defaults, then this campaign's overrides."""
        values = {
            "source": platform,
            "medium": DEFAULT_MEDIUM,
            "campaign": campaign,
            "content": content,
        }
        values.update(self.utm)
        return values
