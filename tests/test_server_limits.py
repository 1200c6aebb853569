"""A Mastodon server's own limits, read by ``accounts check`` and kept in the ledger, are what
``validate``, ``preview`` and ``schedule`` check posts against (and say so); without them the
defaults apply, marked as such. Bluesky posts preview with their display links and cards."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.store import Ledger
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.og_site import FakeSite, png
from tests.planfiles import campaign_data, write_project

runner = CliRunner()
SITE = "site.example.com"
LONG = "Dark Web workshop. " + "Policing hidden services is hard. " * 22  # about 770 characters


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No inherited CAMPAIGN_* variables or .env; a ledger of the test's own."""
    for name in list(os.environ):
        if name.startswith("CAMPAIGN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return {"CAMPAIGN_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}


@pytest.fixture
def server() -> Iterator[FakeMastodon]:
    with FakeMastodon() as fake:
        fake.domain = "eupolicy.social"
        yield fake


def project(tmp_path: Path, text: str, **announcement: object) -> Path:
    spec = {"template": "hello", "at": "2099-09-20 10:00", **announcement}
    data = campaign_data(platforms=["mastodon"], announcements=[spec])
    return write_project(tmp_path / "p", data, templates={"hello.j2": text + " {{ event.url }}"})


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def read_limits(env: dict[str, str], server: FakeMastodon) -> str:
    code, output = run({**env, **server.env()}, "accounts", "check", "mastodon")
    assert code == 0, output
    return output


def test_a_server_at_1000_and_30_per_url_takes_the_longer_post(
    env: dict[str, str], server: FakeMastodon, tmp_path: Path
) -> None:
    server.max_characters, server.url_length = 1000, 30
    campaign = project(tmp_path, LONG)

    code, output = run(env, "validate", str(campaign))
    assert code == 1
    assert "over Mastodon's default limit of 500" in output
    assert "campaign accounts check mastodon" in output

    said = read_limits(env, server)
    assert "Limits of eupolicy.social: 1000 characters, URLs count 30" in said
    assert "kept in the ledger" in said
    code, output = run({**env, **server.env()}, "accounts", "check", "mastodon", "--json")
    [checked] = json.loads(output)
    assert checked["limits"]["max_characters"] == 1000
    assert checked["limits"]["read_at"].endswith("+00:00")
    assert server.token not in output

    code, output = run(env, "validate", str(campaign))
    assert code == 0, output
    assert "Limit of Mastodon: 1000 (eupolicy.social)" in output
    code, output = run(env, "schedule", str(campaign))
    assert code == 0, output
    assert "Limit of Mastodon: 1000 (eupolicy.social)" in output
    code, output = run(env, "preview", str(campaign), "--json")
    [post] = json.loads(output)
    assert (post["limit"], post["limit_from"]) == (1000, "eupolicy.social")
    assert post["length"] == len(LONG) + 1 + 30  # the URL counts as the server says
    code, output = run(env, "preview", str(campaign))
    assert f"{post['length']}/1000 characters (URLs count 30)" in output
    assert "(eupolicy.social)" in output


def test_without_stored_limits_the_defaults_are_used_and_marked(
    env: dict[str, str], tmp_path: Path
) -> None:
    _code, output = run(env, "preview", str(project(tmp_path, "Short")), "--json")

    [post] = json.loads(output)
    assert (post["limit"], post["limit_from"]) == (500, "default")


def test_a_post_over_the_real_servers_limit_is_an_error_and_nothing_is_queued(
    env: dict[str, str], server: FakeMastodon, tmp_path: Path
) -> None:
    server.max_characters = 400
    read_limits(env, server)

    code, output = run(env, "schedule", str(project(tmp_path, "x" * 420)))

    assert code == 1
    assert "over the limit of 400 on eupolicy.social" in output
    with Ledger.open(env["CAMPAIGN_DATABASE_URL"]) as ledger:
        assert ledger.list() == []


@pytest.mark.parametrize(("alt_max", "alt", "exit_code"), [(1500, 1501, 1), (2000, 1600, 0)])
def test_alt_text_is_checked_against_the_servers_limit(
    env: dict[str, str],
    server: FakeMastodon,
    tmp_path: Path,
    alt_max: int,
    alt: int,
    exit_code: int,
) -> None:
    server.alt_max = alt_max
    read_limits(env, server)
    campaign = project(tmp_path, "Photo", media=[{"path": "room.png", "alt": "a" * alt}])
    (campaign.parent / "room.png").write_bytes(png())

    code, output = run(env, "validate", str(campaign))

    assert code == exit_code, output
    if exit_code:
        assert f"{alt} characters; Mastodon (eupolicy.social) takes at most {alt_max}" in output


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    """The fake site, reached as ``site.example.com`` (a name reserved for examples, with a
    top-level domain so that links to it are found): resolved to loopback in this process."""
    resolve = socket.getaddrinfo

    def on_loopback(host: str, *args: Any, **kwargs: Any) -> Any:
        return resolve("127.0.0.1" if host == SITE else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", on_loopback)
    with FakeSite() as fake:
        yield fake


def bluesky_project(tmp_path: Path, site: FakeSite, path: str) -> tuple[Path, str]:
    """A Bluesky campaign whose one post links to ``path`` on the fake site; and the link."""
    data = campaign_data(
        platforms=["bluesky"], announcements=[{"template": "hello", "at": "2099-09-20 10:00"}]
    )
    link = f"http://{SITE}:{site.url.rsplit(':', 1)[1]}{path}"
    return write_project(tmp_path / "p", data, templates={"hello.j2": f"See {link}"}), link


def test_bluesky_previews_display_links_and_schedule_reads_the_card(
    env: dict[str, str], tmp_path: Path, site: FakeSite
) -> None:
    page = "/event?utm_source=bluesky&utm_campaign=darkweb-2017"
    campaign, link = bluesky_project(tmp_path, site, page)
    port = site.url.rsplit(":", 1)[1]
    env = {**env, "CAMPAIGN_LINK_CARD_ALLOW_PRIVATE": "true"}

    [before] = json.loads(run(env, "preview", str(campaign), "--json")[1])
    assert before["display_text"] == f"See {SITE}:{port}/event?utm_so…"
    assert before["length"] == len(before["display_text"])
    assert before["card"] == {"uri": link, "state": "fetched at schedule"}
    assert site.requests == []  # preview reads no page

    code, output = run(env, "schedule", str(campaign))
    assert code == 0, output
    assert "link card" not in output
    assert site.requests == [page, "/og.png"]
    assert site.hosts == [f"{SITE}:{port}"] * 2  # to the address checked, for the name asked

    [after] = json.loads(run(env, "preview", str(campaign), "--json")[1])
    assert after["card"] == {
        "uri": link,
        "state": "stored",
        "title": "Dark Web workshop & panel",
        "description": "How do we police crime on the Dark Web?",
        "image": True,
        "note": "",
    }
    output = run(env, "preview", str(campaign))[1]
    assert "card: Dark Web workshop & panel" in output
    assert f"link: {SITE}:{port}/event?utm_so… →" in output


def test_an_unreadable_page_is_said_at_schedule_and_in_preview(
    env: dict[str, str], tmp_path: Path, site: FakeSite
) -> None:
    campaign, _ = bluesky_project(tmp_path, site, "/missing")
    env = {**env, "CAMPAIGN_LINK_CARD_ALLOW_PRIVATE": "true"}

    code, output = run(env, "schedule", str(campaign))

    assert code == 0, output
    assert "link card:" in output
    assert "answered HTTP 404" in output
    [post] = json.loads(run(env, "preview", str(campaign), "--json")[1])
    assert post["card"]["state"] == "unreadable"
    assert "none, the post goes out with a plain link" in run(env, "preview", str(campaign))[1]


def test_a_name_that_resolves_to_a_private_address_is_never_read(
    env: dict[str, str], tmp_path: Path, site: FakeSite
) -> None:
    campaign, _ = bluesky_project(tmp_path, site, "/event")

    code, output = run(env, "schedule", str(campaign))

    assert code == 0, output
    assert "is a private or local address (127.0.0.1)" in " ".join(output.split())
    assert site.requests == []


def test_a_short_links_card_is_read_from_the_page_it_leads_to(
    env: dict[str, str], tmp_path: Path, site: FakeSite
) -> None:
    """The redirector does not know a code before ``schedule`` has stored it, and a card
    read through it would count as a click: the page is read at its tagged address, and the
    card keeps the short link."""
    port = site.url.rsplit(":", 1)[1]
    data = campaign_data(
        platforms=["bluesky"],
        site=f"http://{SITE}:{port}/",
        links={"shorten": True, "base": "https://go.example.org"},
        announcements=[{"template": "hello", "at": "2099-09-20 10:00"}],
    )
    templates = {"hello.j2": f"See http://{SITE}:{port}/event"}
    campaign = write_project(tmp_path / "p", data, templates=templates)
    env = {**env, "CAMPAIGN_LINK_CARD_ALLOW_PRIVATE": "true"}

    code, output = run(env, "schedule", str(campaign))

    assert code == 0, output
    assert [request.split("?")[0] for request in site.requests] == ["/event", "/og.png"]
    assert "utm_source=bluesky" in site.requests[0]
    [post] = json.loads(run(env, "preview", str(campaign), "--json")[1])
    assert post["card"]["state"] == "stored"
    assert post["card"]["uri"].startswith("https://go.example.org/")


@pytest.mark.parametrize("command", ["validate", "preview"])
def test_planning_never_upgrades_or_needs_a_ledger(
    env: dict[str, str], tmp_path: Path, command: str
) -> None:
    """An older ledger is read as none (defaults) and left at its schema; an unusable
    ledger URL does not stop a plan."""
    from campaign.store.engine import open_engine
    from campaign.store.migrate import current_revision, upgrade

    engine = open_engine(env["CAMPAIGN_DATABASE_URL"])
    upgrade(engine, "0006_history")
    campaign = project(tmp_path, "Hello")

    code, output = run(env, command, str(campaign))
    assert code == 0, output
    assert current_revision(engine) == "0006_history"
    engine.dispose()
    code, output = run({**env, "CAMPAIGN_DATABASE_URL": "bogus://nowhere"}, command, str(campaign))
    assert code == 0, output
