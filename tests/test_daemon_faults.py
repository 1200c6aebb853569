"""The daemon under faults: one post's permanent failure on a shared connection, and a ledger
deleted or replaced while the daemon runs (``campaign run`` as a subprocess, polling every
0.2 s; every wait is bounded by a deadline)."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from campaign.adapters.base import Outgoing
from campaign.daemon.config import DaemonSettings
from campaign.daemon.connections import Connections
from campaign.daemon.ledger_watch import EXIT_LEDGER_REPLACED
from campaign.daemon.runtime import Runtime, run_once
from campaign.render.post import Post
from campaign.store import Ledger
from campaign.store.schema import Base
from tests.daemon_helpers import Daemon, daemon_env, texts_on, wait_for, x_posts
from tests.fakes.bluesky_api import FakeBluesky
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX
from tests.ledger_helpers import make_post

PLATFORMS = ["twitter", "mastodon", "bluesky", "linkedin"]
PG = pytest.mark.postgres


@dataclass
class FakePlatform:
    """A fake platform the daemon publishes to, and how to make one post fail for good."""

    name: str
    env: dict[str, str]
    published: Callable[[], int]
    # Makes the platform refuse the next post for good (a 4xx).
    refuse_next: Callable[[], None]


@pytest.fixture
def fake_platform(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    daemon_settings: Callable[..., DaemonSettings],
) -> Iterator[FakePlatform]:
    """The fake server of ``request.param``, its credentials in the environment."""
    name: str = request.param
    if name == "twitter":
        with FakeX() as x:
            yield from _with_env(
                monkeypatch,
                FakePlatform(
                    name, x.env(), lambda: len(x.tweets), lambda: x.fault("publish", "reject")
                ),
            )
    elif name == "bluesky":
        with FakeBluesky() as pds:
            yield from _with_env(
                monkeypatch,
                FakePlatform(
                    name,
                    pds.env(CAMPAIGN_BLUESKY_LINK_CARD="false"),
                    lambda: len(pds.records),
                    lambda: pds.fault("publish", "reject"),
                ),
            )
    elif name == "mastodon":
        with FakeMastodon() as mastodon:
            env = {
                "CAMPAIGN_MASTODON_API_BASE_URL": mastodon.url,
                "CAMPAIGN_MASTODON_ACCESS_TOKEN": mastodon.token,
            }
            published = lambda: len(mastodon.statuses)  # noqa: E731
            refuse = lambda: mastodon.fault("publish", "reject")  # noqa: E731
            yield from _with_env(monkeypatch, FakePlatform(name, env, published, refuse))
    else:
        with FakeLinkedIn() as linkedin:
            env = {
                "CAMPAIGN_LINKEDIN_ACCESS_TOKEN": linkedin.token,
                "CAMPAIGN_LINKEDIN_AUTHOR": "urn:li:organization:123",
                "CAMPAIGN_LINKEDIN_API_URL": linkedin.url,
            }
            published = lambda: len(linkedin.posts)  # noqa: E731
            refuse = lambda: linkedin.fault("publish", "reject")  # noqa: E731
            yield from _with_env(monkeypatch, FakePlatform(name, env, published, refuse))


def _with_env(monkeypatch: pytest.MonkeyPatch, fake: FakePlatform) -> Iterator[FakePlatform]:
    for key, value in fake.env.items():
        monkeypatch.setenv(key, value)
    yield fake


class TestOnePermanentFailure:
    @pytest.mark.parametrize("fake_platform", PLATFORMS, indirect=True)
    def test_the_other_posts_due_with_it_on_the_same_account_are_sent(
        self,
        fake_platform: FakePlatform,
        daemon_settings: Callable[..., DaemonSettings],
        open_runtime: Callable[..., Runtime],
    ) -> None:
        """Four posts due together on one account, one refused for good: the daemon sets the
        platform up again for later posts, but never closes the connection the other three
        are still using (on Bluesky they became ``unknown``, never sent)."""
        now = datetime.now(UTC)
        posts: list[Post] = [
            make_post(
                f"talk{n}",
                platform=fake_platform.name,
                at=now,
                text=f"Talk number {n} starts at 19:00 in Hall B.",
            )
            for n in range(4)
        ]
        runtime = open_runtime(daemon_settings(grace_minutes=60))
        runtime.ledger.sync(posts, now=now - timedelta(minutes=5))
        fake_platform.refuse_next()
        run_once(runtime)
        states = Counter(_state(runtime, post) for post in posts)
        assert states == {"sent": 3, "failed": 1}
        assert fake_platform.published() == 3


class TestLeases:
    def test_a_forgotten_adapter_is_closed_only_when_its_last_holder_lets_go(
        self, fake_platform_bluesky: FakeBluesky
    ) -> None:
        connections = Connections()
        try:
            with connections.lease("bluesky") as held:
                assert held is not None
                connections.forget("bluesky")
                with connections.lease("bluesky") as fresh:
                    assert fresh is not None
                    assert fresh is not held
                receipt = held.publish(outgoing("still open after forget"))
                assert receipt.remote_id
            with pytest.raises(RuntimeError, match="client has been closed"):
                held.publish(outgoing("closed once let go"))
            assert connections.get("bluesky") is fresh
        finally:
            connections.close()
        assert [r.value["text"] for r in fake_platform_bluesky.records.values()] == [
            "still open after forget"
        ]


@pytest.fixture
def fake_platform_bluesky(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBluesky]:
    with FakeBluesky() as pds:
        for key, value in pds.env(CAMPAIGN_BLUESKY_LINK_CARD="false").items():
            monkeypatch.setenv(key, value)
        yield pds


@pytest.fixture
def spawn() -> Iterator[Callable[..., Daemon]]:
    """Starts ``campaign run`` subprocesses; any still running when the test ends is killed."""
    started: list[Daemon] = []

    def start(env: dict[str, str], cwd: Path, *args: str) -> Daemon:
        started.append(Daemon(env, cwd, *args))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.kill()


def started(daemon: Daemon) -> None:
    """Wait until ``daemon`` has read its ledger once (its "ready" line)."""
    wait_for(lambda: '"event": "ready"' in daemon.stderr, 30, "the daemon to be ready")


def assert_stopped_for_the_new_ledger(daemon: Daemon, where: str) -> None:
    """It exited 75 after one ERROR line naming the ledger and saying why."""
    assert daemon.wait(30) == EXIT_LEDGER_REPLACED, daemon.stderr
    (line,) = [e for e in daemon.events() if e["event"] == "ledger_replaced"]
    assert line["level"] == "ERROR"
    assert line["message"] == (
        f"the ledger at {where} was deleted or replaced while the daemon ran; stopping so "
        "that it restarts on the new one"
    )


def new_ledger(url: str, posts: list[Post]) -> None:
    """A new ledger at ``url`` holding ``posts`` (scheduled a minute ago)."""
    with Ledger.open(url) as ledger:
        ledger.sync(posts, now=datetime.now(UTC) - timedelta(minutes=1))


def test_a_replaced_ledger_is_said_once_when_both_threads_see_it_at_once(
    daemon_settings: Callable[..., DaemonSettings],
    open_runtime: Callable[..., Runtime],
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The heartbeat and the poll both check; under load they met, and the ERROR (and its
    alert) came twice."""
    runtime = open_runtime(daemon_settings(database_url=sqlite_url))
    Path(make_url(sqlite_url).database or "").unlink()
    both = threading.Barrier(2)
    seen: list[bool] = []

    def check() -> None:
        both.wait(5)
        seen.append(runtime.ledger_replaced())

    with caplog.at_level(logging.ERROR, logger="campaign"):
        threads = [threading.Thread(target=check) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert runtime.ledger_replaced()  # and a later check says so again, silently
    assert seen == [True, True]
    said = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "ledger_replaced"]
    assert len(said) == 1
    assert runtime.stop.is_set()


@pytest.mark.slow
class TestLedgerReplaced:
    def test_a_deleted_sqlite_ledger_stops_the_daemon_with_exit_75(
        self, sqlite_url: str, fake_x: FakeX, tmp_path: Path, spawn: Callable[..., Daemon]
    ) -> None:
        new_ledger(sqlite_url, [])
        daemon = spawn(daemon_env(sqlite_url, fake_x), tmp_path / "run")
        started(daemon)
        Path(make_url(sqlite_url).database or "").unlink()
        assert_stopped_for_the_new_ledger(daemon, sqlite_url)

    @pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=PG)])
    def test_posts_scheduled_into_a_replacing_ledger_go_out_after_the_restart(
        self,
        backend: str,
        request: pytest.FixtureRequest,
        fake_x: FakeX,
        tmp_path: Path,
        spawn: Callable[..., Daemon],
    ) -> None:
        """SQLite: a new file moved over the old one (a restore); PostgreSQL: the tables
        dropped and the ledger created again. Either way the daemon sees a new ledger id (and
        for SQLite a new inode), stops, and once restarted (as systemd does) sends what the
        new ledger holds."""
        url: str = request.getfixturevalue(f"{backend}_url")
        new_ledger(url, [])
        env = daemon_env(url, fake_x)
        daemon = spawn(env, tmp_path / "run")
        started(daemon)
        (post,) = x_posts(1, datetime.now(UTC), prefix="restored")
        if backend == "sqlite":
            path = Path(make_url(url).database or "")
            new_ledger(f"sqlite:///{path.with_name('restored.db')}", [post])
            path.with_name("restored.db").replace(path)
        else:
            with Ledger.open(url) as old, old.engine.begin() as connection:
                Base.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE alembic_version"))
            new_ledger(url, [post])
        shown = make_url(url).render_as_string(hide_password=True)
        assert_stopped_for_the_new_ledger(daemon, shown)
        assert texts_on(fake_x) == []
        again = spawn(env, tmp_path / "run")
        wait_for(lambda: texts_on(fake_x) == [post.text], 30, "the restored post to go out")
        assert again.stop() == 0
        with Ledger.open(url) as ledger:
            assert ledger.get(post.id).state == "sent"


def outgoing(text: str) -> Outgoing:
    return Outgoing(post_id=text[:8], text=text, scheduled_at=datetime.now(UTC))


def _state(runtime: Runtime, post: Post) -> str:
    return runtime.ledger.get(post.id).state
