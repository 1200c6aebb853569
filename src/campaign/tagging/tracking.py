"""Tag and shorten the links of a rendered post: the renderer's entry point to link tracking.

:func:`track_text` takes each link whole, as the author wrote it (IRIs included: see
:mod:`campaign.tagging.iri`), and gives the URLs of the result as twitter-text finds them,
so the length check counts the final text as X does. Only links written with ``http://``
or ``https://`` are considered: a bare ``example.org`` in prose is a name on Mastodon and
LinkedIn, not a link. Links whose host the :class:`LinkPolicy` tracks get UTM tags and,
with ``shorten``, are replaced by their short URL; every other link is left exactly as
written. Nothing here touches the network
or a database, so previews stay side-effect free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from campaign.platforms.urls import UrlSpan, dotted_pieces, piece_urls, shifted
from campaign.tagging.iri import author_links, link_host, piece_links
from campaign.tagging.policy import LinkPolicy
from campaign.tagging.shortcodes import PLACEHOLDER_CODE, env_link_secret, short_code, short_url
from campaign.tagging.utm import add_utm

__all__ = ["LinkPolicy", "LinkTagger", "Tagged", "TrackedLink", "tag_url", "track_text"]


@dataclass(frozen=True)
class TrackedLink:
    """One tracked link of a post: as written, as tagged, and its short form when shortened.

    ``short`` without ``code`` is a placeholder: the post was planned without a key.

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


class Tagged(NamedTuple):
    """A post's text with its links tracked: what goes out, the tracked links, all its URLs.

    ``urls`` are the URLs of ``text`` as :func:`~campaign.platforms.urls.url_spans` finds them
    (bare domains too), for length checks that count URLs; ``None`` when not worked out.
    """

    text: str
    links: tuple[TrackedLink, ...]
    urls: list[UrlSpan] | None


def tag_url(url: str, *, platform: str, campaign: str, content: str, policy: LinkPolicy) -> str:
    """``url`` with the post's UTM tags added (the template helper ``track(url)``).

    An explicit request: any http(s) URL is tagged, whatever its host. Existing query
    parameters, fragment and ``utm_*`` values stay as written; tagging twice changes nothing.

    Raises ``ValueError`` when ``url`` is not an http(s) URL with a host.
    """
    if not link_host(url):
        raise ValueError(f"track() needs an http(s) URL, got {url!r}")
    values = policy.utm_values(platform=platform, campaign=campaign, content=content)
    return add_utm(url, values)


def track_text(
    text: str, *, post_id: str, platform: str, campaign: str, content: str, policy: LinkPolicy
) -> tuple[str, tuple[TrackedLink, ...]]:
    """Tag (and with ``policy.shorten``, shorten) every tracked link in ``text``.

    Returns the text to publish and the tracked links in order of appearance. Without a key
    (``policy.secret`` or ``CAMPAIGN_LINKS_SECRET``), short links end in the placeholder code
    and carry no ``code``. Raises :class:`~campaign.errors.ConfigurationError` when
    ``CAMPAIGN_LINKS_SECRET`` is too short.
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
        self._pieces: dict[str, tuple[str, tuple[TrackedLink, ...], tuple[UrlSpan, ...]]] = {}

    def tag_url(self, url: str) -> str:
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
        tagged = self.tag(text, post_id)
        return tagged.text, tagged.links

    def tag(self, text: str, post_id: str) -> Tagged:
        """:meth:`track` of ``text``, with every URL of the result as ``url_spans`` finds them.

        Works word by word (:func:`~campaign.platforms.urls.dotted_pieces`). A link is replaced
        by another without spaces inside its own word, so the result's words are those of
        ``text`` with their links replaced, and its URLs are those of each rewritten word.
        Words repeat from post to post: each is rewritten once. Short links are made for
        each post, and then the URLs are left for the length check to find.
        """
        base = self.policy.base
        if self.policy.shorten and base:
            return self._shortened(text, post_id, base)
        pieces: list[str] = []
        tracked: list[TrackedLink] = []
        urls: list[UrlSpan] = []
        cursor = 0  # text[:cursor] is in pieces
        grown = 0  # how much longer the result is than text, up to here
        for start, end in dotted_pieces(text):
            piece = text[start:end]
            done = self._pieces.get(piece)
            if done is None:
                done = self._pieces[piece] = self._rewrite(piece)
            rewritten, links, found = done
            if found:
                urls += shifted(found, start + grown)
            if links:
                pieces += [text[cursor:start], rewritten]
                tracked += links
                cursor = end
                grown += len(rewritten) - len(piece)
        if not tracked:
            return Tagged(text, (), urls)
        pieces.append(text[cursor:])
        return Tagged("".join(pieces), tuple(tracked), urls)

    def _rewrite(self, piece: str) -> tuple[str, tuple[TrackedLink, ...], tuple[UrlSpan, ...]]:
        """One word with its tracked links tagged, those links, and the new word's URLs."""
        rewritten, links = self._replaced(piece, piece_links(piece))
        return rewritten, links, piece_urls(rewritten, True)

    def _replaced(
        self,
        text: str,
        spans: Iterable[UrlSpan],
        final: Callable[[TrackedLink], TrackedLink] | None = None,
    ) -> tuple[str, tuple[TrackedLink, ...]]:
        """``text`` with each tracked link of ``spans`` in its ``final`` form, and the links."""
        parts: list[str] = []
        links: list[TrackedLink] = []
        cursor = 0
        for url, start, end in spans:
            link = self._link(url)
            if link is None:
                continue
            if final is not None:
                link = final(link)
            parts += [text[cursor:start], link.final]
            links.append(link)
            cursor = end
        parts.append(text[cursor:])
        return "".join(parts), tuple(links)

    def _link(self, url: str) -> TrackedLink | None:
        """``url`` tagged when the policy tracks it, else ``None``; worked out once per link."""
        if url not in self._links:
            tracked = self.policy.tracks(url)
            self._links[url] = TrackedLink(url, self.tag_url(url)) if tracked else None
        return self._links[url]

    def _shortened(self, text: str, post_id: str, base: str) -> Tagged:
        """:meth:`tag` with each tracked link replaced by its short URL at ``base``."""

        secret = self.policy.secret or env_link_secret()

        def short(link: TrackedLink) -> TrackedLink:
            if secret is None:
                return TrackedLink(link.original, link.tagged, short_url(base, PLACEHOLDER_CODE))
            code = short_code(secret, post_id, link.tagged)
            return TrackedLink(link.original, link.tagged, short_url(base, code), code)

        spans = author_links(text)
        shortened, links = self._replaced(text, spans, short)
        return Tagged(shortened, links, None)
