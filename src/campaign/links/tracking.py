"""Tag and shorten the links of a rendered post: the renderer's entry point to link tracking.

:func:`track_text` finds links the way X does (twitter-text), so the length check counts
the final link. Only links written with ``http://`` or ``https://`` are considered: a bare
``example.org`` in prose is a name on Mastodon and LinkedIn, not a link. Links whose host
the :class:`LinkPolicy` tracks get UTM tags and, with ``shorten``, are replaced by their
short URL; every other link is left exactly as written. Nothing here touches the network
or a database, so previews stay side-effect free.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from campaign.links.policy import LinkPolicy, url_host
from campaign.links.shortcodes import link_secret, short_code, short_url
from campaign.links.urls import url_spans
from campaign.links.utm import add_utm

__all__ = ["LinkPolicy", "LinkTagger", "TrackedLink", "tag_url", "track_text"]


@dataclass(frozen=True)
class TrackedLink:
    """One tracked link of a post: as written, as tagged, and its short form when shortened.

    The renderer keeps these on ``Post.extra["tracked_links"]`` (a tuple of ``TrackedLink``),
    from which :func:`campaign.store.shortlinks.register` stores the short codes.
    """

    original: str
    tagged: str
    short: str | None = None
    code: str | None = None

    @property
    def final(self) -> str:
        """The URL that appears in the post's text."""
        return self.short or self.tagged


def tag_url(url: str, *, platform: str, campaign: str, content: str, policy: LinkPolicy) -> str:
    """``url`` with the post's UTM tags added (the template helper ``track(url)``).

    An explicit request: any http(s) URL is tagged, whatever its host. Existing query
    parameters, fragment and ``utm_*`` values stay as written; tagging twice changes nothing.

    Raises ``ValueError`` when ``url`` is not an http(s) URL with a host.
    """
    if not url.lower().startswith(("http://", "https://")) or not url_host(url):
        raise ValueError(f"track() needs an http(s) URL, got {url!r}")
    values = policy.utm_values(platform=platform, campaign=campaign, content=content)
    return add_utm(url, values)


def track_text(
    text: str, *, post_id: str, platform: str, campaign: str, content: str, policy: LinkPolicy
) -> tuple[str, tuple[TrackedLink, ...]]:
    """Tag (and with ``policy.shorten``, shorten) every tracked link in ``text``.

    Returns the text to publish and the tracked links in order of appearance.
    Raises :class:`~campaign.errors.ConfigurationError` when ``shorten`` is on, a link needs
    a code and ``CAMPAIGN_LINKS_SECRET`` is missing or too short.
    """
    tagger = LinkTagger(platform=platform, campaign=campaign, content=content, policy=policy)
    return tagger.track(text, post_id)


class LinkTagger:
    """:func:`track_text` for the many posts of one announcement on one platform.

    A plan meets the same few links in post after post, so whether a link is tracked and
    its tagged form are worked out once per link, not once per post.
    """

    def __init__(self, *, platform: str, campaign: str, content: str, policy: LinkPolicy) -> None:
        self.platform = platform
        self.campaign = campaign
        self.content = content
        self.policy = policy
        self._links: dict[str, TrackedLink | None] = {}

    def tag(self, url: str) -> str:
        """:func:`tag_url` for this announcement and platform (the ``track(url)`` helper)."""
        return tag_url(
            url,
            platform=self.platform,
            campaign=self.campaign,
            content=self.content,
            policy=self.policy,
        )

    def track(self, text: str, post_id: str) -> tuple[str, tuple[TrackedLink, ...]]:
        """:func:`track_text` of ``text``, the post ``post_id``; raises as it does."""
        spans = url_spans(text, without_protocol=False)
        if not spans:
            return text, ()
        policy = self.policy
        pieces: list[str] = []
        tracked: list[TrackedLink] = []
        secret: SecretStr | None = policy.secret
        cursor = 0
        for url, start, end in spans:
            if url in self._links:
                link = self._links[url]
            else:
                link = self._links[url] = (
                    TrackedLink(original=url, tagged=self.tag(url)) if policy.tracks(url) else None
                )
            if link is None:
                continue
            if policy.shorten and policy.base:
                secret = secret or link_secret()
                code = short_code(secret, post_id, link.tagged)
                link = TrackedLink(url, link.tagged, short_url(policy.base, code), code)
            pieces += [text[cursor:start], link.final]
            tracked.append(link)
            cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces), tuple(tracked)
