"""UTM tagging, the host policy, and link tracking in rendered text (no network, no database)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from campaign.errors import ConfigurationError
from campaign.platforms.length import x_weighted_length
from campaign.platforms.urls import url_spans
from campaign.tagging import LinkPolicy, TrackedLink, tag_url, track_text
from campaign.tagging.iri import author_links
from campaign.tagging.shortcodes import CODE_LENGTH, is_code
from campaign.tagging.tracking import LinkTagger

SITE = "https://www.media4sec.eu/"
POLICY = LinkPolicy(site=SITE, track_domains=("blog.media4sec.eu",))
TAGS = "utm_source=twitter&utm_medium=social&utm_campaign=darkweb-2017&utm_content=save_the_date"
SECRET = SecretStr("k" * 32)


def tag(url: str, policy: LinkPolicy = POLICY) -> str:
    return tag_url(
        url, platform="twitter", campaign="darkweb-2017", content="save_the_date", policy=policy
    )


def track(
    text: str, policy: LinkPolicy = POLICY, post_id: str = "p1"
) -> tuple[str, tuple[TrackedLink, ...]]:
    return track_text(
        text,
        post_id=post_id,
        platform="twitter",
        campaign="darkweb-2017",
        content="save_the_date",
        policy=policy,
    )


def shortening(secret: SecretStr | None = SECRET) -> LinkPolicy:
    return LinkPolicy(site=SITE, shorten=True, base="https://go.example.org/", secret=secret)


class TestTagUrl:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("https://www.media4sec.eu/events/x/", f"https://www.media4sec.eu/events/x/?{TAGS}"),
            ("https://media4sec.eu/a?b=1&c=", f"https://media4sec.eu/a?b=1&c=&{TAGS}"),
            ("https://media4sec.eu/a#program", f"https://media4sec.eu/a?{TAGS}#program"),
            ("https://media4sec.eu/a?b=1#x?y", f"https://media4sec.eu/a?b=1&{TAGS}#x?y"),
            ("https://media4sec.eu", f"https://media4sec.eu?{TAGS}"),
            ("https://media4sec.eu/a?", f"https://media4sec.eu/a?{TAGS}"),
            ("https://media4sec.eu/a?b=%20x+y", f"https://media4sec.eu/a?b=%20x+y&{TAGS}"),
            ("https://elsewhere.org/p", f"https://elsewhere.org/p?{TAGS}"),
        ],
    )
    def test_adds_tags_keeping_query_and_fragment(self, url: str, expected: str) -> None:
        assert tag(url) == expected

    @pytest.mark.parametrize(
        "url",
        [
            "https://media4sec.eu/a?utm_source=newsletter",
            "https://media4sec.eu/a?UTM_SOURCE=newsletter",
        ],
    )
    def test_keeps_a_utm_value_the_author_wrote(self, url: str) -> None:
        tagged = tag(url)
        query = parse_qs(urlsplit(tagged).query)
        assert tagged.startswith(url + "&utm_medium=social")
        assert "utm_source" not in tagged.removeprefix(url)
        assert query["utm_campaign"] == ["darkweb-2017"]

    def test_overrides_from_the_campaign(self) -> None:
        policy = LinkPolicy(site=SITE, utm={"medium": "organic social", "term": "cfp"})
        query = parse_qs(urlsplit(tag("https://media4sec.eu/", policy)).query)
        assert query["utm_medium"] == ["organic social"]
        assert query["utm_term"] == ["cfp"]
        assert query["utm_source"] == ["twitter"]
        assert "%20" in tag("https://media4sec.eu/", policy)

    @pytest.mark.parametrize(
        "url", ["mailto:info@media4sec.eu", "ftp://media4sec.eu/x", "https://"]
    )
    def test_refuses_what_is_not_an_http_url(self, url: str) -> None:
        with pytest.raises(ValueError, match="needs an http"):
            tag(url)

    @given(
        host=st.sampled_from(["media4sec.eu", "www.media4sec.eu", "x.org"]),
        path=st.lists(st.text("abcé-_.~%", min_size=1, max_size=6), max_size=3),
        query=st.lists(
            st.tuples(st.text("abcutm_", min_size=1, max_size=8), st.text("xyz=%+ ", max_size=5)),
            max_size=4,
        ),
        fragment=st.none() | st.text("ab?#&=", max_size=6),
    )
    def test_is_idempotent_and_keeps_the_rest(
        self, host: str, path: list[str], query: list[tuple[str, str]], fragment: str | None
    ) -> None:
        url = f"https://{host}/" + "/".join(path)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query)
        if fragment is not None:
            url += "#" + fragment
        tagged = tag(url)
        assert tag(tagged) == tagged
        before, _, after = tagged.partition("#")
        assert after == (fragment or "")
        assert before.startswith(url.partition("#")[0])
        assert parse_qs(urlsplit(tagged).query).get("utm_medium", ["social"])[0] in {
            "social",
            *(v for k, v in query if k == "utm_medium"),
        }


class TestHostPolicy:
    @pytest.mark.parametrize(
        ("url", "tracked"),
        [
            ("https://www.media4sec.eu/x", True),
            ("https://media4sec.eu/x", True),
            ("http://WWW.Media4Sec.EU:8443/x", True),
            ("https://blog.media4sec.eu/post", True),
            ("https://www.blog.media4sec.eu/post", True),
            ("https://events.media4sec.eu/x", False),
            ("https://media4sec.eu.evil.example/x", False),
            ("https://www.media4sec.eu@evil.example/x", False),
            ("https://example.org/?u=https://www.media4sec.eu/", False),
        ],
    )
    def test_site_and_track_domains_with_www_variants(self, url: str, tracked: bool) -> None:
        assert POLICY.tracks(url) is tracked

    def test_track_domain_may_be_given_as_url(self) -> None:
        assert LinkPolicy(site=SITE, track_domains=("https://cfp.example.org/",)).tracks(
            "https://cfp.example.org/submit"
        )

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"site": "media4sec.eu"}, "site 'media4sec.eu' is not an http"),
            ({"site": SITE, "utm": {"sauce": "x"}}, "unknown key"),
            ({"site": SITE, "shorten": True}, "needs links.base"),
            ({"site": SITE, "base": "go.example.org"}, "links.base"),
        ],
    )
    def test_bad_policy_is_refused(self, kwargs: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            LinkPolicy(**kwargs)  # type: ignore[arg-type]


class TestTrackText:
    def test_tags_only_tracked_hosts_and_keeps_punctuation(self) -> None:
        text = (
            "Programme: https://www.media4sec.eu/events/dw/. Slides (https://blog.media4sec.eu/s) "
            "and https://other.example/x, plus media4sec.eu/bare"
        )
        result, links = track(text)
        assert result == (
            f"Programme: https://www.media4sec.eu/events/dw/?{TAGS}. Slides "
            f"(https://blog.media4sec.eu/s?{TAGS}) and https://other.example/x, "
            "plus media4sec.eu/bare"
        )
        assert [link.original for link in links] == [
            "https://www.media4sec.eu/events/dw/",
            "https://blog.media4sec.eu/s",
        ]
        assert all(link.short is None and link.code is None for link in links)
        assert [link.final for link in links] == [link.tagged for link in links]

    def test_text_without_tracked_links_is_unchanged(self) -> None:
        text = "Nothing to tag at https://other.example/ or in 3.5 hours"
        assert track(text) == (text, ())

    def test_an_already_tagged_link_is_left_alone(self) -> None:
        tagged = f"https://www.media4sec.eu/x?{TAGS}"
        text, links = track(f"See {tagged}")
        assert text == f"See {tagged}"
        assert links[0].tagged == tagged

    def test_shortened_links_replace_the_tagged_ones(self) -> None:
        text, links = track("Join https://www.media4sec.eu/events/dw/ now", shortening())
        (link,) = links
        assert link.code is not None
        assert is_code(link.code)
        assert len(link.code) == CODE_LENGTH
        assert link.short == f"https://go.example.org/{link.code}"
        assert link.tagged == f"https://www.media4sec.eu/events/dw/?{TAGS}"
        assert text == f"Join {link.short} now"
        assert x_weighted_length(text) == len("Join  now") + 23

    def test_codes_are_stable_and_depend_on_post_target_and_secret(self) -> None:
        text = "https://www.media4sec.eu/a https://www.media4sec.eu/b"
        _, first = track(text, shortening())
        _, again = track(text, shortening())
        _, other_post = track(text, shortening(), post_id="p2")
        _, other_key = track(text, shortening(SecretStr("z" * 32)))
        codes = [link.code for link in first]
        assert codes == [link.code for link in again]
        assert len(set(codes)) == 2
        assert not set(codes) & {link.code for link in other_post}
        assert not set(codes) & {link.code for link in other_key}

    def test_secret_comes_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("CAMPAIGN_LINKS_SECRET", SECRET.get_secret_value())
        from_env = track("https://media4sec.eu/", shortening(secret=None))
        assert from_env == track("https://media4sec.eu/", shortening())

    def test_a_weak_secret_is_a_configuration_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("CAMPAIGN_LINKS_SECRET", "tooshort")
        with pytest.raises(ConfigurationError, match="shorter") as caught:
            track("https://media4sec.eu/", shortening(secret=None))
        assert "secrets.token_urlsafe(32)" in str(caught.value)
        assert "tooshort" not in str(caught.value)

    def test_without_a_secret_short_links_are_placeholders_of_the_same_length(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CAMPAIGN_LINKS_SECRET", raising=False)
        text, (link,) = track("See https://media4sec.eu/", shortening(secret=None))
        assert link.code is None
        assert link.short == "https://go.example.org/not-yet-assigned"
        assert text == f"See {link.short}"
        _, (real,) = track("See https://media4sec.eu/", shortening())
        assert real.short is not None
        assert len(real.short) == len(link.short)

    def test_no_secret_needed_when_no_link_is_tracked(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CAMPAIGN_LINKS_SECRET", raising=False)
        assert track("https://other.example/", shortening(secret=None))[1] == ()

    def test_secret_never_shows_in_the_policy_repr(self) -> None:
        assert SECRET.get_secret_value() not in repr(shortening())


@pytest.mark.parametrize("policy", [POLICY, shortening()], ids=["tagging", "shortening"])
def test_a_tagger_reused_across_posts_tracks_each_as_track_text_does(policy: LinkPolicy) -> None:
    tagger = LinkTagger(
        platform="twitter", campaign="darkweb-2017", content="save_the_date", policy=policy
    )
    texts = [
        "See https://www.media4sec.eu/events/ and https://example.org/x",
        "Again https://www.media4sec.eu/events/, then https://blog.media4sec.eu/a?b=1#c",
        "No links here.",
        "https://www.media4sec.eu/events/ https://www.media4sec.eu/events/",
    ]
    for number, text in enumerate(texts * 2):
        post_id = f"p{number}"
        assert tagger.track(text, post_id) == track(text, policy, post_id)


_WORDS = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0x2100), max_size=8),
    st.sampled_from(
        [
            "https://www.media4sec.eu/events/x/",
            "https://blog.media4sec.eu/a?b=1#c",
            "(https://www.media4sec.eu/a).",
            "https://www.media4sec.eu/a,https://www.media4sec.eu/b",
            "HTTPS://WWW.MEDIA4SEC.EU/x?utm_source=mine",
            "https://example.org/x",
            "media4sec.eu/bare",
            "www.example.org",
            "http://t.co/abc",
            "https://www.media4sec.eu/news/?q=müller&lang=de",
            "https://user@media4sec.eu:8443/Αθήνα/文章#teil?2",
            "x.co",
            "...",
            " ",
            "\n",
            "\t",
            "\u3000",
            "é",
        ]
    ),
)


def _replaced_span_by_span(text: str, tagger: LinkTagger) -> tuple[str, tuple[TrackedLink, ...]]:
    """What tagging does, link by link over the whole text (as it was done before words)."""
    pieces, tracked, cursor = [], [], 0
    for url, start, end in author_links(text):
        if POLICY.tracks(url):
            link = TrackedLink(url, tagger.tag_url(url))
            pieces += [text[cursor:start], link.tagged]
            tracked.append(link)
            cursor = end
    return "".join([*pieces, text[cursor:]]), tuple(tracked)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=12).map("".join))
def test_tagging_word_by_word_matches_link_by_link_and_knows_the_result_urls(text: str) -> None:
    tagger = LinkTagger(
        platform="twitter", campaign="darkweb-2017", content="save_the_date", policy=POLICY
    )
    for _ in range(2):  # the second time from the tagger's memory of each word
        tagged = tagger.tag(text, "p1")
        assert (tagged.text, tagged.links) == _replaced_span_by_span(text, tagger)
        assert tagged.urls == url_spans(tagged.text)


def test_shortened_links_leave_the_urls_to_the_length_check() -> None:
    tagger = LinkTagger(
        platform="twitter", campaign="darkweb-2017", content="save_the_date", policy=shortening()
    )
    tagged = tagger.tag("Programme: https://www.media4sec.eu/events/x/", "p1")
    assert tagged.urls is None
    assert tagged.text.startswith("Programme: https://go.example.org/")
