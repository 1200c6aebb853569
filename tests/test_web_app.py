"""``campaign web`` over real HTTP: who may read and act, CSRF, sign-in limits, headers, and
the calendar feed's token. (The browser tests are in test_web_browser.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from campaign.cli import app as cli
from campaign.errors import ConfigurationError
from campaign.store.metrics import FIGURES, READ, Snapshot, record
from campaign.store.states import CANCELLED, SCHEDULED, SENT
from campaign.web.app import create_app
from campaign.web.security import SIGN_IN_ATTEMPTS, WebSettings, check_exposure
from tests.ledger_helpers import force_state
from tests.web_helpers import FEED_TOKEN, NOW, PASSWORD, Served, example_ledger, serve, settings


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def signed_in(client: httpx.Client) -> str:
    """Sign ``client`` in; the session's CSRF token."""
    token = csrf_of(client.get("/signin"))
    answer = client.post("/signin", data={"password": PASSWORD, "csrf": token, "next": "/month"})
    assert answer.status_code == 303
    return csrf_of(client.get("/month?date=2017-09-01"))


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url) as http:
        yield http


@pytest.fixture
def exposed(tmp_path: Path) -> Iterator[Served]:
    """The app as it runs on a public address: every page needs a sign-in. (Its cookie is not
    ``Secure`` here, as the test talks plain HTTP where a proxy would add HTTPS.)"""
    ledger = example_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    app = create_app(
        ledger, host="0.0.0.0", settings=settings(secure_cookie=False), clock=lambda: NOW
    )
    with serve(app) as url:
        yield Served(url, ledger)
    ledger.close()


class TestReading:
    def test_on_loopback_anyone_here_may_read(self, client: httpx.Client) -> None:
        answer = client.get("/month?date=2017-09-01")
        assert answer.status_code == 200
        assert answer.text.count('class="entry') == 12  # four a day, then "2 more"

    def test_the_language_filter_keeps_the_posts_in_that_language(
        self, client: httpx.Client
    ) -> None:
        every = client.get("/month?date=2017-09-01")
        assert '<select name="language">' in every.text
        assert '<option value="el">el</option>' in every.text
        greek = client.get("/month?date=2017-09-01&language=el")
        assert greek.text.count('class="entry') == 2  # the Greek reminder, Mastodon and Bluesky
        assert '<option value="el" selected>' in greek.text
        agenda = client.get("/agenda?date=2017-08-27&language=el")
        assert agenda.text.count('<article class="card') == 4
        assert agenda.text.count('lang="el"') == 4
        assert greek.text.count('<span class="language">el</span>') == 2  # told apart in a cell

    def test_a_bluesky_card_shows_its_links_as_bluesky_does(self, client: httpx.Client) -> None:
        agenda = client.get("/agenda?date=2017-08-27&platform=bluesky").text
        link = re.search(r'<a class="link" href="([^"]+)"[^>]*>([^<]+)</a>', agenda)
        assert link is not None
        target, shown = link.groups()
        assert target.startswith("https://www.media4sec.eu/events/dark-web-workshop/?utm_source=")
        assert shown == "www.media4sec.eu/events/dark-…"

    def test_on_another_address_every_page_needs_a_sign_in(self, exposed: Served) -> None:
        with httpx.Client(base_url=exposed.url) as http:
            for path in ("/month", "/week", "/agenda", f"/posts/{exposed.ledger.list()[0].id}"):
                answer = http.get(path)
                assert answer.status_code == 303
                assert answer.headers["location"].startswith("/signin?next=")
            signed_in(http)
            assert http.get("/month?date=2017-09-01").text.count('class="entry') == 12

    def test_behind_a_proxy_reading_can_require_a_sign_in(self, tmp_path: Path) -> None:
        ledger = example_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
        app = create_app(ledger, settings=settings(), clock=lambda: NOW, require_sign_in=True)
        with serve(app) as url, httpx.Client(base_url=url) as http:
            assert http.get("/month").status_code == 303
        ledger.close()
        with pytest.raises(ConfigurationError, match="--require-sign-in needs a password"):
            check_exposure(
                "127.0.0.1", WebSettings.model_construct(password=None), require_sign_in=True
            )

    def test_without_a_password_it_refuses_to_listen_on_another_address(self) -> None:
        with pytest.raises(ConfigurationError, match="CAMPAIGN_WEB_PASSWORD"):
            check_exposure("0.0.0.0", WebSettings.model_construct(password=None))
        check_exposure("127.0.0.1", WebSettings.model_construct(password=None))
        result = CliRunner().invoke(cli, ["web", "--host", "0.0.0.0"], env={"HOME": "/nonexistent"})
        assert result.exit_code != 0
        assert "CAMPAIGN_WEB_PASSWORD" in result.output

    def test_every_answer_carries_the_security_headers(self, client: httpx.Client) -> None:
        for path in ("/month", "/signin", "/static/style.css", "/nope/nothing"):
            headers = client.get(path).headers
            assert "script-src" not in headers["content-security-policy"]
            assert "default-src 'none'" in headers["content-security-policy"]
            assert headers["x-frame-options"] == "DENY"
            assert headers["x-content-type-options"] == "nosniff"

    def test_pages_hold_no_inline_script_or_style(self, client: httpx.Client) -> None:
        for path in ("/month?date=2017-09-01", "/agenda?date=2017-09-19", "/signin"):
            text = client.get(path).text
            assert "<script" not in text
            assert "style=" not in text
            assert "<style" not in text


class TestActions:
    def test_an_action_needs_a_signed_in_session(
        self, served: Served, client: httpx.Client
    ) -> None:
        post = served.ledger.list()[0]
        token = csrf_of(client.get("/signin"))
        answer = client.post(f"/posts/{post.id}/cancel", data={"csrf": token})
        assert answer.status_code == 403
        assert served.ledger.get(post.id).state == SCHEDULED

    def test_an_action_needs_the_sessions_csrf_token(
        self, served: Served, client: httpx.Client
    ) -> None:
        post = served.ledger.list()[0]
        signed_in(client)
        for form in ({}, {"csrf": ""}, {"csrf": "another-token"}):
            assert client.post(f"/posts/{post.id}/cancel", data=form).status_code == 403
        assert served.ledger.get(post.id).state == SCHEDULED

    def test_actions_are_only_posts(self, served: Served, client: httpx.Client) -> None:
        post = served.ledger.list()[0]
        signed_in(client)
        assert client.get(f"/posts/{post.id}/cancel").status_code in (404, 405)
        assert served.ledger.get(post.id).state == SCHEDULED

    def test_cancel_then_retry_follow_the_command_lines_rules(
        self, served: Served, client: httpx.Client
    ) -> None:
        post = served.ledger.list()[0]
        token = signed_in(client)
        answer = client.post(f"/posts/{post.id}/cancel", data={"csrf": token})
        assert answer.status_code == 303
        assert served.ledger.get(post.id).state == CANCELLED
        again = client.post(f"/posts/{post.id}/cancel", data={"csrf": token})
        assert "already+cancelled" in again.headers["location"]
        client.post(f"/posts/{post.id}/retry", data={"csrf": token})
        assert served.ledger.get(post.id).state == SCHEDULED
        page = client.get(f"/posts/{post.id}").text
        for change in ("new → scheduled", "scheduled → cancelled", "cancelled → scheduled"):
            assert change in page
        assert "cancelled by hand" in page

    def test_resolve_refuses_a_post_whose_outcome_is_known(
        self, served: Served, client: httpx.Client
    ) -> None:
        post = served.ledger.list()[0]
        token = signed_in(client)
        answer = client.post(
            f"/posts/{post.id}/resolve", data={"csrf": token, "outcome": "posted", "remote_id": "1"}
        )
        page = client.get(answer.headers["location"])
        assert "resolve only settles posts whose outcome is unknown" in page.text
        assert served.ledger.get(post.id).state == SCHEDULED

    def test_a_sent_posts_card_shows_its_latest_engagement(
        self, served: Served, client: httpx.Client
    ) -> None:
        post = served.ledger.list()[0]
        force_state(served.ledger, post.id, SENT, remote_id="1", sent_at=post.scheduled_at)
        figures = {**dict.fromkeys(FIGURES), "likes": 1204, "reposts": 3, "replies": 0}
        read_at = post.scheduled_at + timedelta(hours=24)
        record(
            served.ledger.engine, [Snapshot(post.id, timedelta(hours=24), read_at, READ, figures)]
        )
        line = f"likes 1,204, reposts 3, replies 0 (as of {read_at:%-d %b %Y, %H:%M} UTC)"
        untagged = re.compile(r"<[^>]+>")
        assert line in untagged.sub("", client.get(f"/posts/{post.id}").text)
        day = post.scheduled_at.date().isoformat()
        assert line in untagged.sub("", client.get(f"/agenda?date={day}").text)
        other = served.ledger.list()[1]
        assert "Engagement:" not in client.get(f"/posts/{other.id}").text  # none read: nothing


class TestSignIn:
    def test_the_session_cookie_is_http_only_and_same_site_strict(
        self, client: httpx.Client
    ) -> None:
        token = csrf_of(client.get("/signin"))
        answer = client.post("/signin", data={"password": PASSWORD, "csrf": token})
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "max-age=28800" in cookie
        assert "secure" not in cookie  # plain HTTP on loopback

    def test_on_another_address_the_cookie_is_secure(self, tmp_path: Path) -> None:
        ledger = example_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
        app = create_app(ledger, host="0.0.0.0", settings=settings(), clock=lambda: NOW)
        with serve(app) as url, httpx.Client(base_url=url) as http:
            cookie = http.get("/signin").headers["set-cookie"].lower()
        ledger.close()
        assert "; secure" in cookie

    def test_failed_sign_ins_are_limited(self, client: httpx.Client) -> None:
        token = csrf_of(client.get("/signin"))
        for _ in range(SIGN_IN_ATTEMPTS):
            assert client.post("/signin", data={"password": "x", "csrf": token}).status_code == 401
        blocked = client.post("/signin", data={"password": PASSWORD, "csrf": token})
        assert blocked.status_code == 429
        assert "Too many failed attempts" in blocked.text

    def test_after_signing_in_it_never_sends_you_to_another_site(
        self, client: httpx.Client
    ) -> None:
        token = csrf_of(client.get("/signin"))
        for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
            answer = client.post(
                "/signin", data={"password": PASSWORD, "csrf": token, "next": target}
            )
            assert answer.headers["location"] == "/month"
            token = csrf_of(client.get("/signin"))


class TestFeed:
    def test_the_feed_answers_only_with_its_token(self, client: httpx.Client) -> None:
        assert client.get("/calendar.ics").status_code == 404
        assert client.get("/calendar.ics?token=wrong").status_code == 404
        answer = client.get(f"/calendar.ics?token={FEED_TOKEN}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        assert answer.text.count("BEGIN:VEVENT") == 24

    def test_without_a_configured_token_there_is_no_feed(self, tmp_path: Path) -> None:
        ledger = example_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
        app = create_app(ledger, settings=settings(feed_token=None), clock=lambda: NOW)
        with serve(app) as url, httpx.Client(base_url=url) as http:
            assert http.get("/calendar.ics?token=").status_code == 404
            assert http.get("/calendar.ics?token=None").status_code == 404
        ledger.close()
