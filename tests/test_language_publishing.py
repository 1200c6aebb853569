"""A post's language goes from the campaign file through the ledger to the platforms:
Mastodon's ``language`` and Bluesky's ``langs``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from campaign.daemon.config import DaemonSettings
from campaign.daemon.runtime import Runtime, run_once
from campaign.render.planner import plan_files
from tests.daemon_helpers import mastodon_env
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.mastodon_api import FakeMastodon
from tests.planfiles import EVENT, campaign_data, write_project

EN, EL = "Dark Web workshop, 26 September 2017", "Εργαστήριο Dark Web, 26 Σεπτεμβρίου 2017"
TWO_LANGUAGES = {
    "languages": ["en", "el"],
    "event": {**EVENT, "title": {"en": "Dark Web workshop", "el": "Εργαστήριο Dark Web"}},
}


@pytest.mark.parametrize(
    ("overrides", "on_mastodon", "on_bluesky"),
    [
        (TWO_LANGUAGES, {("en", EN), ("el", EL)}, {(("en",), EN), (("el",), EL)}),
        ({}, {(None, EN)}, {(None, EN)}),
    ],
    ids=["two-languages", "no-languages"],
)
def test_each_post_reaches_its_platform_with_its_language(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    daemon_settings: Callable[..., DaemonSettings],
    open_runtime: Callable[..., Runtime],
    overrides: dict[str, Any],
    on_mastodon: set[tuple[Any, str]],
    on_bluesky: set[tuple[Any, str]],
) -> None:
    """Without ``languages:`` nothing is sent, and the platform decides as before."""
    data = campaign_data(platforms=["mastodon", "bluesky"], **overrides)
    template = {"hello.j2": "{{ event.title }}, {{ event.starts | date }}"}
    posts = plan_files([write_project(tmp_path, data, template)])
    with FakeMastodon() as mastodon, FakeBluesky() as bluesky:
        settings = daemon_settings(x=bluesky)
        for name, value in mastodon_env(mastodon).items():
            monkeypatch.setenv(name, value)
        runtime = open_runtime(settings)
        due = posts[0].scheduled_at
        runtime.ledger.sync(posts, now=due - timedelta(days=1))
        queued = {post.to_json()["language"] for post in runtime.ledger.list()}
        assert queued == {language for language, _ in on_mastodon}
        runtime.clock.offset = due - datetime.now(UTC)
        run_once(runtime)
        assert {(s["language"], s["text"]) for s in mastodon.statuses} == on_mastodon
        records = [record.value for record in bluesky.records.values()]
        assert {(_tuple(r.get("langs")), r["text"]) for r in records} == on_bluesky


def _tuple(langs: list[str] | None) -> tuple[str, ...] | None:
    return tuple(langs) if langs is not None else None


def test_a_thread_in_a_second_language_goes_out_whole_as_replies(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    daemon_settings: Callable[..., DaemonSettings],
    open_runtime: Callable[..., Runtime],
) -> None:
    """The Greek parts have the language in their ids; the daemon still finds the next part
    and sends it as a reply to the first."""
    data = campaign_data(platforms=["mastodon"], **TWO_LANGUAGES)
    template = {"hello.j2": "{{ event.title }}\n---\n{{ event.starts | date }}"}
    posts = plan_files([write_project(tmp_path, data, template)])
    with FakeMastodon() as mastodon:
        for name, value in mastodon_env(mastodon).items():
            monkeypatch.setenv(name, value)
        runtime = open_runtime(daemon_settings())
        due = posts[0].scheduled_at
        runtime.ledger.sync(posts, now=due - timedelta(days=1))
        [greek] = [p for p in runtime.ledger.list() if p.language == "el" and p.thread == 1]
        following = runtime.book.next_part(greek)
        assert following is not None
        assert (following.language, following.thread) == ("el", 2)
        runtime.clock.offset = due - datetime.now(UTC)
        run_once(runtime)
        assert {post.state for post in runtime.ledger.list()} == {"sent"}
        by_text = {status["text"]: status for status in mastodon.statuses}
        first, second = by_text["Εργαστήριο Dark Web"], by_text["26 Σεπτεμβρίου 2017"]
        assert second["in_reply_to_id"] == first["id"]
        assert len(mastodon.statuses) == 4
