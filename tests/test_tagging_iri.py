"""Tagging keeps the author's links intact: IRIs (non-ASCII paths, queries, fragments and
hosts), user info, ports, %-escapes and backslashes stay character for character, and a
short link resolves to exactly the tagged link (issue 10, item 5)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

import httpx
import idna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select
from twitter_text import parse_tweet
from typer.testing import CliRunner

from campaign.cli import app
from campaign.platforms.length import x_weighted_length
from campaign.platforms.urls import url_spans
from campaign.render.planner import plan_files
from campaign.store.ledger import Ledger
from campaign.store.schema import ShortLinkRow
from campaign.store.shortlinks import register
from campaign.tagging import LinkPolicy, TrackedLink, tag_url, track_text
from tests.linkhelpers import Redirector, ledger_on, seed, short_link
from tests.planfiles import campaign_data, write_project

SITE = "https://www.media4sec.eu/"
GREEK = "παράδειγμα.ελ"
POLICY = LinkPolicy(site=SITE, track_domains=("blog.media4sec.eu", GREEK))
OURS = (
    ("source", "twitter"),
    ("medium", "social"),
    ("campaign", "darkweb-2017"),
    ("content", "save_the_date"),
)
TAGS = "&".join(f"utm_{key}={value}" for key, value in OURS)
SECRET = SecretStr("k" * 32)
SHORTENING = LinkPolicy(
    site=SITE,
    track_domains=POLICY.track_domains,
    shorten=True,
    base="https://go.example.org/",
    secret=SECRET,
)


def tag(url: str, policy: LinkPolicy = POLICY) -> str:
    return tag_url(
        url, platform="twitter", campaign="darkweb-2017", content="save_the_date", policy=policy
    )


def track(text: str, policy: LinkPolicy = POLICY) -> tuple[str, tuple[TrackedLink, ...]]:
    return track_text(
        text,
        post_id="p1",
        platform="twitter",
        campaign="darkweb-2017",
        content="save_the_date",
        policy=policy,
    )


def tagged_as_specified(
    url: str, present: frozenset[str] = frozenset(), values: tuple[tuple[str, str], ...] = OURS
) -> str:
    """The author's ``url`` with our parameters appended to its query, before its fragment:
    the specification, written out. ``present`` are the ``utm_*`` keys the author wrote."""
    base, hash_sign, fragment = url.partition("#")
    ours = "&".join(
        f"utm_{key}={quote(value, safe='')}" for key, value in values if key not in present
    )
    if not ours:
        return url
    _, question, query = base.partition("?")
    separator = "?" if not question else "" if query == "" or query.endswith("&") else "&"
    return f"{base}{separator}{ours}{hash_sign}{fragment}"


# --- Generated author links ----------------------------------------------------------------

# A wide alphabet: ASCII that URLs hold, Latin, Greek, Cyrillic, CJK and Hangul letters, a
# combining mark (a decomposed ü), %-escapes (well-formed, non-ASCII, malformed), and "\".
# No "_" here: a "utm_" the author writes is drawn on purpose, never by chance.
_CHARACTERS = [
    *"aZ09-.~!$'()*+,;:@",
    *"üößÉçλΩΆжД文章日本한국",
    "u\u0308",
    "%20",
    "%C3%BC",
    "%2F",
    "%zz",
    "%",
    "\\",
]
_TEXT = st.lists(st.sampled_from(_CHARACTERS), max_size=6).map("".join)
_QUERY_TEXT = st.lists(st.sampled_from([*_CHARACTERS, "=", "?", "/"]), max_size=6).map("".join)
_FRAGMENT_TEXT = st.lists(st.sampled_from([*_CHARACTERS, "?", "#", "&", "="])).map("".join)
_AUTHOR_UTM = {
    "utm_source=newsletter": "source",
    "UTM_Medium=print": "medium",
    "utm_campaign=": "campaign",
    "utm_term=cfp": "term",
}
_HOSTS = [
    "www.media4sec.eu",
    "media4sec.eu",
    "WWW.Media4Sec.EU",
    "blog.media4sec.eu",
    GREEK,
    "www.ΠΑΡΆΔΕΙΓΜΑ.ΕΛ",
    "xn--hxajbheg2az3al.xn--qxam",
]


@dataclass(frozen=True)
class AuthorLink:
    """A link as the author wrote it, and the ``utm_*`` keys the author wrote in it."""

    url: str
    present: frozenset[str]


@st.composite
def author_links(draw: st.DrawFn) -> AuthorLink:
    """http(s), a tracked host (any case, Unicode or punycode), maybe user info and a port,
    then a random path, query and fragment."""
    url = draw(st.sampled_from(["https://", "http://", "HTTPS://"]))
    if draw(st.booleans()):
        user = draw(st.sampled_from(["user", "müller", "ana:pässwort", "x%40y"]))
        url += f"{user}@"
    url += draw(st.sampled_from(_HOSTS))
    if draw(st.booleans()):
        url += f":{draw(st.integers(1, 65535))}"
    segments = draw(st.lists(_TEXT, max_size=4))
    if segments or draw(st.booleans()):
        url += "/" + "/".join(segments)
    present: set[str] = set()
    if draw(st.booleans()):
        pairs = draw(
            st.lists(
                st.one_of(
                    st.tuples(_QUERY_TEXT, _QUERY_TEXT).map("=".join),
                    _QUERY_TEXT,
                    st.sampled_from(sorted(_AUTHOR_UTM)),
                ),
                max_size=4,
            )
        )
        present = {_AUTHOR_UTM[pair] for pair in pairs if pair in _AUTHOR_UTM}
        url += "?" + "&".join(pairs) + draw(st.sampled_from(["", "&"]))
    if draw(st.booleans()):
        url += "#" + draw(
            st.lists(st.sampled_from([*_CHARACTERS, "?", "#", "&", "="])).map("".join)
        )
    return AuthorLink(url, frozenset(present))


def written_in_a_post(link: AuthorLink) -> AuthorLink:
    """``link`` ending in a letter or digit, as a link in prose does (test_where_a_link_ends).

    A link that ends with its host or port already does."""
    if re.fullmatch(r"[^:]*://[^/\\?#]*", link.url):
        return link
    return AuthorLink(link.url + "x", link.present)


_PROSE = st.tuples(
    st.sampled_from(["", "Lies ", "„", "Αθήνα: ", "日本語 ", "line\n"]),
    st.sampled_from(["", " ", ". Mehr", ", und", "! ", "? ", "…", "。", "“ heute", "\n"]),
)


class TestTagUrl:
    @settings(max_examples=300, deadline=None)
    @given(link=author_links())
    def test_the_tagged_link_is_the_authors_plus_our_parameters(self, link: AuthorLink) -> None:
        tagged = tag(link.url)
        assert tagged == tagged_as_specified(link.url, link.present)
        query = tagged.partition("#")[0].partition("?")[2]
        values = dict(parse_qsl(query, keep_blank_values=True))
        for key, value in OURS:
            if key not in link.present:
                assert values[f"utm_{key}"] == value
        assert tag(tagged) == tagged

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            (
                "https://www.media4sec.eu/news/?q=müller&lang=de",
                f"https://www.media4sec.eu/news/?q=müller&lang=de&{TAGS}",
            ),
            (
                "https://media4sec.eu/Αθήνα/文章#τμήμα",
                f"https://media4sec.eu/Αθήνα/文章?{TAGS}#τμήμα",
            ),
            ("https://user@media4sec.eu:8443/x", f"https://user@media4sec.eu:8443/x?{TAGS}"),
            ("https://media4sec.eu/%C3%BC?a=%zz%2", f"https://media4sec.eu/%C3%BC?a=%zz%2&{TAGS}"),
            ("https://media4sec.eu/a\\b?c", f"https://media4sec.eu/a\\b?c&{TAGS}"),
            ("https://media4sec.eu/a?", f"https://media4sec.eu/a?{TAGS}"),
            ("https://media4sec.eu?=?", f"https://media4sec.eu?=?&{TAGS}"),
            ("https://media4sec.eu/a?b=1&", f"https://media4sec.eu/a?b=1&{TAGS}"),
            ("https://media4sec.eu/a&b", f"https://media4sec.eu/a&b?{TAGS}"),
            ("https://media4sec.eu/a#x?y&z=1", f"https://media4sec.eu/a?{TAGS}#x?y&z=1"),
            ("https://media4sec.eu", f"https://media4sec.eu?{TAGS}"),
            ("https://παράδειγμα.ελ", f"https://παράδειγμα.ελ?{TAGS}"),
        ],
    )
    def test_examples(self, url: str, expected: str) -> None:
        assert tag(url) == expected

    def test_non_ascii_utm_values_are_percent_encoded(self) -> None:
        policy = LinkPolicy(site=SITE, utm={"campaign": "straße 2026", "term": "Αθήνα"})
        assert tag("https://media4sec.eu/ü", policy).endswith(
            "utm_campaign=stra%C3%9Fe%202026&utm_content=save_the_date"
            "&utm_term=%CE%91%CE%B8%CE%AE%CE%BD%CE%B1"
        )


class TestHosts:
    @pytest.mark.parametrize(
        ("site", "url", "tracked"),
        [
            ("https://xn--hxajbheg2az3al.xn--qxam/", "https://παράδειγμα.ελ/a", True),
            ("https://παράδειγμα.ελ/", "https://www.xn--hxajbheg2az3al.xn--qxam/a", True),
            ("https://παράδειγμα.ελ/", "https://ΠΑΡΆΔΕΙΓΜΑ.ΕΛ./a", True),
            ("https://bücher.example/", "https://BÜCHER.example/a", True),
            ("https://bücher.example/", "https://user@xn--bcher-kva.example:80/a", True),
            ("https://παράδειγμα.ελ/", "https://παράδειγμα.ελ.evil.example/a", False),
            ("https://παράδειγμα.ελ/", "https://παράδειγμα.ελ@evil.example/a", False),
            ("https://www.media4sec.eu/", "https://evil.example\\@www.media4sec.eu/", False),
            ("https://www.media4sec.eu/", "https://www.media4sec.eu\\@evil.example/", True),
        ],
    )
    def test_hosts_compare_in_idna_form_and_case(self, site: str, url: str, tracked: bool) -> None:
        assert LinkPolicy(site=site).tracks(url) is tracked

    def test_the_authors_host_is_never_rewritten(self) -> None:
        policy = LinkPolicy(site="https://xn--hxajbheg2az3al.xn--qxam/")
        text, (link,) = track("Δείτε https://ΠΑΡΆΔΕΙΓΜΑ.ελ/άρθρο σήμερα", policy)
        assert text == f"Δείτε https://ΠΑΡΆΔΕΙΓΜΑ.ελ/άρθρο?{TAGS} σήμερα"
        assert link.original == "https://ΠΑΡΆΔΕΙΓΜΑ.ελ/άρθρο"


class TestInText:
    @settings(max_examples=300, deadline=None)
    @given(link=author_links().map(written_in_a_post), prose=_PROSE)
    def test_a_link_in_a_post_is_tagged_whole(
        self, link: AuthorLink, prose: tuple[str, str]
    ) -> None:
        before, after = prose
        expected = tagged_as_specified(link.url, link.present)
        text, links = track(f"{before}{link.url}{after} and https://other.example/ü")
        assert text == f"{before}{expected}{after} and https://other.example/ü"
        assert links == (TrackedLink(link.url, expected),)

    @settings(max_examples=200, deadline=None)
    @given(link=author_links().map(written_in_a_post), prose=_PROSE)
    def test_a_short_link_replaces_the_whole_link_and_nothing_else(
        self, link: AuthorLink, prose: tuple[str, str]
    ) -> None:
        before, after = prose
        text, (shortened,) = track(f"{before}{link.url}{after}", SHORTENING)
        assert shortened.short is not None
        assert text == f"{before}{shortened.short}{after}"
        assert shortened.original == link.url
        assert shortened.tagged == tagged_as_specified(link.url, link.present)
        # X sees the short link whole, and nothing of the text after it.
        assert [span.url for span in url_spans(text, without_protocol=False)] == [shortened.short]

    @pytest.mark.parametrize(
        ("text", "link"),
        [
            ("Lies https://www.media4sec.eu/news/?q=müller&lang=de.", "…/news/?q=müller&lang=de"),
            ("(https://www.media4sec.eu/Αθήνα)", "…/Αθήνα"),
            ("https://www.media4sec.eu/wiki/Foo_(λ)!", "…/wiki/Foo_(λ)"),
            ("„https://www.media4sec.eu/straße“", "…/straße"),
            ("见https://www.media4sec.eu/文章。", "…/文章"),
            ("<https://www.media4sec.eu/ü>", "…/ü"),
            ('"https://www.media4sec.eu/ü"', "…/ü"),
            ("https://www.media4sec.eu/a?b=1&, c", "…/a?b=1&"),
            ("https://www.media4sec.eu/a&, c", "…/a"),
            ("https://www.media4sec.eu/mu\u0308ller…", "…/mu\u0308ller"),
            ("https://www.media4sec.eu/a\\b\\, c", "…/a\\b"),
            ("https://www.media4sec.eu/x#teil-2?", "…/x#teil-2"),
        ],
    )
    def test_where_a_link_ends(self, text: str, link: str) -> None:
        """A link runs to the end of its word, less the punctuation of the prose around it."""
        _, (found,) = track(text)
        assert found.original == link.replace("…", "https://www.media4sec.eu")


class TestWhereXEndsALink:
    """X (twitter-text v3) ends some of these links early and shows the rest as text: no
    non-ASCII in a query, only Latin and Cyrillic letters in a path, no ``\\``, no user info.
    The author's link is still tagged whole (the other platforms link it whole), and the
    length check counts the result as X does; a short link is ASCII and X links it whole."""

    @pytest.mark.parametrize(
        ("url", "x_link"),
        [
            (
                "https://www.media4sec.eu/news/?q=müller&lang=de",
                "https://www.media4sec.eu/news/?q=m",
            ),
            ("https://www.media4sec.eu/Αθήνα/x", "https://www.media4sec.eu/"),
            ("https://www.media4sec.eu/文章", "https://www.media4sec.eu/"),
            ("https://www.media4sec.eu/a\\b", "https://www.media4sec.eu/a"),
            ("https://user@www.media4sec.eu/a", None),
            ("https://www.media4sec.eu/straße", "https://www.media4sec.eu/straße"),
        ],
    )
    def test_x_ends_the_link_early_and_the_count_is_xs(self, url: str, x_link: str | None) -> None:
        text = f"Lies {url} heute"
        assert [span.url for span in url_spans(text, without_protocol=False)] == (
            [x_link] if x_link else []
        )
        tagged, (link,) = track(text)
        assert link.original == url
        assert x_weighted_length(tagged) == parse_tweet(tagged).weightedLength
        shortened, (short,) = track(text, SHORTENING)
        assert [span.url for span in url_spans(shortened)] == [short.short]


# --- Short links through the ledger and the redirector ---------------------------------------


def decoded_location(location: str) -> str:
    """A Location header read back as an IRI: the host from IDNA, then every %-escape of a
    non-ASCII character decoded (the escapes an author wrote are decoded alike below)."""
    scheme, _, rest = location.partition("://")
    authority = re.match(r"[^/\\?#]*", rest)
    assert authority is not None
    userinfo, at, hostport = authority.group().rpartition("@")
    host, colon, port = hostport.partition(":")
    iri = f"{scheme}://{userinfo}{at}{idna.decode(host)}{colon}{port}{rest[authority.end() :]}"
    return non_ascii_unescaped(iri)


def non_ascii_unescaped(url: str) -> str:
    return re.sub(r"(?:%[89a-fA-F][0-9a-fA-F])+", lambda run: unquote(run.group()), url)


def comparable(iri: str) -> str:
    """``iri`` with its host as IDNA gives it back (lower case) and non-ASCII escapes decoded."""
    host = _host(iri)
    return decoded_location(iri.replace(host, idna.encode(host, uts46=True).decode(), 1))


def _host(iri: str) -> str:
    authority = re.match(r"[^:]*://([^/\\?#]*)", iri)
    assert authority is not None
    return authority.group(1).rpartition("@")[2].partition(":")[0]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with ledger_on("sqlite", tmp_path) as opened:
        yield opened


@pytest.fixture
def redirector(ledger: Ledger) -> Iterator[Redirector]:
    with Redirector(ledger.engine) as running:
        yield running


def follow(client: httpx.Client, redirector: Redirector, code: str) -> str:
    response = client.get(f"{redirector.url}/{code}")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.isascii()
    return str(location)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(link=author_links().map(written_in_a_post))
def test_a_short_link_redirects_to_exactly_the_tagged_link(
    link: AuthorLink, ledger: Ledger, redirector: Redirector
) -> None:
    _, (shortened,) = track(f"Lies {link.url} heute", SHORTENING)
    assert shortened.code is not None
    seed(ledger.engine, [short_link(shortened.code, target=shortened.tagged)])
    with ledger.engine.connect() as connection:
        stored = connection.execute(
            select(ShortLinkRow.target).where(ShortLinkRow.code == shortened.code)
        ).scalar_one()
    assert stored == shortened.tagged == tagged_as_specified(link.url, link.present)
    with httpx.Client(timeout=10) as client:
        location = follow(client, redirector, shortened.code)
    assert decoded_location(location) == comparable(shortened.tagged)
    if not re.search("%[89a-fA-F]", link.url):  # no escape of the author's to tell apart
        ascii_host = idna.encode(_host(link.url), uts46=True).decode()
        assert decoded_location(location) == link_with_host(stored, ascii_host)


def link_with_host(url: str, ascii_host: str) -> str:
    return url.replace(_host(url), idna.decode(ascii_host), 1)


# --- A whole campaign --------------------------------------------------------------------

NEWS = "https://www.media4sec.eu/nachrichten/?q=müller&lang=de#teil-2"
ARTICLE = "https://παράδειγμα.ελ:8443/άρθρο/文章?x=%C3%BC\\y"
TEMPLATE = f"Neu: {NEWS}. Mehr: {ARTICLE}, oder x.org/ü"
# X ends both links early (see TestWhereXEndsALink), so the tail of each tagged link counts
# as text there: its own template keeps one link, to stay within 280.
X_TEMPLATE = f"Neu: {NEWS}."
PLATFORMS = ["twitter", "mastodon", "bluesky", "linkedin"]


def project(root: Path, **links: object) -> Path:
    data = campaign_data(platforms=PLATFORMS, links={"track_domains": [GREEK], **links})
    return write_project(root, data, {"hello.j2": TEMPLATE, "twitter/hello.j2": X_TEMPLATE})


def values_for(platform: str) -> tuple[tuple[str, str], ...]:
    return (
        ("source", platform),
        ("medium", "social"),
        ("campaign", "darkweb-2017"),
        ("content", "hello"),
    )


def test_preview_json_shows_the_authors_links_intact(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["preview", str(project(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    posts = json.loads(result.stdout)
    assert sorted(post["platform"] for post in posts) == sorted(PLATFORMS)
    for post in posts:
        news, article = (
            tagged_as_specified(url, values=values_for(post["platform"])) for url in (NEWS, ARTICLE)
        )
        if post["platform"] == "twitter":
            assert (post["text"], post["links"]) == (f"Neu: {news}.", [news])
        else:
            assert (post["text"], post["links"]) == (
                f"Neu: {news}. Mehr: {article}, oder x.org/ü",
                [news, article],
            )
    assert "?q=müller&lang=de&utm_source=twitter&utm_medium=social" in result.stdout


def test_scheduled_short_links_redirect_to_the_authors_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, redirector: Redirector
) -> None:
    monkeypatch.setenv("CAMPAIGN_LINKS_SECRET", SECRET.get_secret_value())
    posts = plan_files([project(tmp_path, shorten=True, base="https://go.example.org")])
    links = [link for post in posts for link in post.extra["tracked_links"]]
    assert register(ledger.engine, posts) == len(links) == 7
    with httpx.Client(timeout=10) as client:
        for post in posts:
            for link in post.extra["tracked_links"]:
                assert link.original in (NEWS, ARTICLE)
                assert link.short in post.text
                assert link.tagged == tagged_as_specified(
                    link.original, values=values_for(post.platform)
                )
                location = follow(client, redirector, link.code)
                assert decoded_location(location) == comparable(link.tagged)
