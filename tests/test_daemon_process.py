"""``campaign run`` as a real subprocess against a real ledger and the fake X (and Mastodon)
servers over loopback.

No test waits for a schedule by sleeping: each polls the fake's or the ledger's state with a
bounded timeout (:func:`wait_for`). Posts are due "now" and the daemon polls every 0.2 s.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from campaign.render.post import Post
from campaign.store import Ledger
from campaign.store.schema import AttemptRow, Base
from campaign.store.worker import heartbeats
from tests.daemon_helpers import (
    Daemon,
    Spawn,
    daemon_env,
    run_cli,
    texts_on,
    toots_on,
    wait_for,
    x_posts,
)
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.x_api import FakeX
from tests.ledger_helpers import as_worker, make_post, make_thread

pytestmark = pytest.mark.slow


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Starts ``campaign run`` subprocesses; any still running when the test ends is killed."""
    started: list[Daemon] = []

    def start(env: dict[str, str], cwd: Path, *args: str) -> Daemon:
        started.append(Daemon(env, cwd, *args))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.kill()


def seed(url: str, posts: list[Post]) -> Ledger:
    ledger = Ledger.open(url)
    ledger.sync(posts, now=datetime.now(UTC) - timedelta(minutes=1))
    return ledger


def states(ledger: Ledger, posts: list[Post]) -> Counter[str]:
    return Counter(ledger.get(p.id).state for p in posts)


def toots(count: int, at: datetime, prefix: str = "toot") -> list[Post]:
    """``count`` distinct single posts for Mastodon, all due at ``at``."""
    return [
        make_post(f"{prefix}{n}", platform="mastodon", at=at, text=f"{prefix} number {n} is out")
        for n in range(count)
    ]


def assert_each_once_and_recorded(
    ledger: Ledger, fake: FakeX, posts: list[Post], mastodon: FakeMastodon | None = None
) -> None:
    """Every post is on its platform's fake exactly once and the ledger holds its remote id."""
    on_x = Counter(texts_on(fake))
    on_mastodon = Counter(toots_on(mastodon).values() if mastodon else ())
    found = {p.text: (on_x if p.platform == "twitter" else on_mastodon)[p.text] for p in posts}
    assert found == {p.text: 1 for p in posts}
    assert on_x.total() + on_mastodon.total() == len(posts)
    remote = {t.text: t.id for t in fake.tweets}
    if mastodon:
        remote.update({text: status_id for status_id, text in toots_on(mastodon).items()})
    for post in posts:
        queued = ledger.get(post.id)
        assert (queued.state, queued.remote_id) == ("sent", remote[post.text])


def assert_clean_logs(daemon: Daemon, fake: FakeX) -> list[dict[str, Any]]:
    """Every stderr line is a JSON object with the required keys; no credential anywhere."""
    events = daemon.events()
    assert events
    assert all({"ts", "level", "event", "message"} <= e.keys() for e in events)
    for secret in fake.credentials.values():
        assert secret not in daemon.stderr
        assert secret not in daemon.stdout
    return events


def test_kill_9_at_random_points_never_loses_or_doubles_a_post(
    sqlite_url: str, fake_x: FakeX, fake_mastodon: FakeMastodon, tmp_path: Path, spawn: Spawn
):
    """A burst is due on X and Mastodon at once; the daemon is killed with SIGKILL mid-burst
    again and again. Posts it published are found by look-back (Mastodon's proves absence
    too, so its posts go out again); the few X posts it had claimed but not sent become
    unknown (X's look-back cannot prove absence) and a person resolves them, as documented."""
    now = datetime.now(UTC)
    posts = [
        *x_posts(30, now),
        *make_thread(3, platform="twitter", event="t", at=now),
        *toots(20, now),
        *make_thread(3, platform="mastodon", event="m", at=now),
    ]
    ledger = seed(sqlite_url, posts)
    env = daemon_env(sqlite_url, fake_x, fake_mastodon)
    rng = random.Random(20260329)
    kills = resolved = 0

    def published() -> int:
        return len(fake_x.tweets) + len(fake_mastodon.statuses)

    def resolve_unknown() -> int:
        """What a person does with an unknown post: look on X, then resolve it."""
        unknown = ledger.list(state="unknown")
        for post in unknown:
            assert post.platform == "twitter", "Mastodon's look-back settles its own posts"
            on_x = [t.id for t in fake_x.tweets if t.text == post.text]
            ledger.resolve(post.id, posted=on_x[0] if on_x else None)
        return len(unknown)

    while kills < 4 and states(ledger, posts)["sent"] < len(posts):
        daemon = spawn(env, tmp_path)
        before = published()
        wait_for(lambda: published() > before, 20, "the daemon to publish")  # noqa: B023
        time.sleep(rng.uniform(0, 0.04))
        daemon.kill()
        kills += 1
        mine = f":{daemon.process.pid}:"
        claims = [c for c in as_worker(ledger).stuck_sending() if mine in (c.worker or "")]
        assert Counter(c.post.platform for c in claims) <= Counter(twitter=1, mastodon=1)
        resolved += resolve_unknown()
    daemon = spawn(env, tmp_path)

    def all_sent() -> bool:
        """Every post sent, unknown ones resolved as they appear (a later thread part waits
        for its unknown predecessor)."""
        nonlocal resolved
        resolved += resolve_unknown()
        return states(ledger, posts)["sent"] == len(posts)

    wait_for(all_sent, 30, "every post to be sent")
    # The burst may be over before this daemon even started: let it start before SIGTERM.
    wait_for(lambda: '"event": "ready"' in daemon.stderr, 30, "the last daemon to be ready")
    assert daemon.stop() == 0
    assert_each_once_and_recorded(ledger, fake_x, posts, fake_mastodon)
    x_thread = [next(t for t in fake_x.tweets if t.text == p.text) for p in posts[30:33]]
    assert [t.reply_to for t in x_thread] == [None, x_thread[0].id, x_thread[1].id]
    statuses = {s["text"]: s for s in fake_mastodon.statuses}
    m_thread = [statuses[p.text] for p in posts[-3:]]
    assert [s["in_reply_to_id"] for s in m_thread] == [None, m_thread[0]["id"], m_thread[1]["id"]]
    assert resolved <= kills  # at most the one X post in flight per kill needed a person
    ledger.close()


def test_faults_end_with_no_duplicate_and_no_silent_loss(
    sqlite_url: str, fake_x: FakeX, tmp_path: Path, spawn: Spawn
):
    """On X and on Mastodon at once: 429 (with reset), two 503s and a connection dropped
    after the platform created the post."""
    now = datetime.now(UTC)
    posts = [*x_posts(12, now), *toots(8, now)]
    fake_x.rate_limit_reset = int(time.time()) + 2
    fake_x.fault("publish", "rate_limit")
    fake_x.fault("publish", "server_error", times=2)
    fake_x.fault("publish", "drop")
    ledger = seed(sqlite_url, posts)
    with FakeMastodon() as mastodon:
        mastodon.reset_in = timedelta(seconds=2)
        mastodon.fault("publish", "rate_limit")
        mastodon.fault("publish", "server_error", times=2)
        mastodon.fault("publish", "drop")
        daemon = spawn(daemon_env(sqlite_url, fake_x, mastodon), tmp_path)
        wait_for(lambda: states(ledger, posts)["sent"] == len(posts), 30, "every post to be sent")
        assert daemon.stop() == 0
        assert_each_once_and_recorded(ledger, fake_x, posts, mastodon)
    table = AttemptRow.__table__
    with ledger.engine.connect() as connection:
        outcomes = Counter(connection.execute(select(table.c.outcome)).scalars())
    assert outcomes == {"sent": 11 + 7, "rate_limited": 2, "retry": 2 + 2, "found": 1 + 1}
    events = Counter(e["event"] for e in assert_clean_logs(daemon, fake_x))
    assert (events["rate_limited"], events["retry"], events["sent"]) == (2, 4, 20)
    ledger.close()


def test_a_rate_limited_platform_does_not_hold_the_others_back(
    sqlite_url: str, fake_x: FakeX, fake_mastodon: FakeMastodon, tmp_path: Path, spawn: Spawn
):
    """X answers 429 until a reset 4 s ahead; the Mastodon posts due meanwhile go out on
    time, and the X posts go out once each after the reset."""
    ledger = Ledger.open(sqlite_url)
    daemon = spawn(daemon_env(sqlite_url, fake_x, fake_mastodon), tmp_path)
    wait_for(lambda: len(heartbeats(ledger)) == 1, 30, "the daemon to start")
    now = datetime.now(UTC)
    reset = int(now.timestamp()) + 4
    fake_x.rate_limit_reset = reset
    fake_x.fault("publish", "rate_limit")
    on_x = x_posts(5, now)
    on_mastodon = [
        make_post(f"toot{n}", platform="mastodon", at=now + timedelta(seconds=1 + n / 2))
        for n in range(4)
    ]
    ledger.sync([*on_x, *on_mastodon], now=now - timedelta(minutes=1))
    wait_for(lambda: states(ledger, on_x)["sent"] == len(on_x), 30, "the X posts after the reset")
    assert daemon.stop() == 0
    assert_each_once_and_recorded(ledger, fake_x, [*on_x, *on_mastodon], fake_mastodon)
    for post in on_mastodon:
        sent_at = ledger.get(post.id).sent_at
        assert sent_at is not None
        assert timedelta(0) <= sent_at - post.scheduled_at < timedelta(seconds=1)
        assert sent_at.timestamp() < reset
    assert min(ledger.get(p.id).sent_at for p in on_x) >= datetime.fromtimestamp(reset, UTC)
    assert len(fake_x.calls("publish")) == len(on_x) + 1
    ledger.close()


@pytest.mark.postgres
def test_two_daemons_on_one_postgres_database_publish_each_post_once(
    postgres_url: str, fake_x: FakeX, tmp_path: Path, spawn: Spawn
):
    env = daemon_env(postgres_url, fake_x)
    ledger = Ledger.open(postgres_url)
    daemons = [spawn(env, tmp_path / "a"), spawn(env, tmp_path / "b")]
    wait_for(lambda: len(heartbeats(ledger)) == 2, 30, "both daemons to start")
    posts = x_posts(40, datetime.now(UTC))
    ledger.sync(posts)
    wait_for(lambda: states(ledger, posts)["sent"] == len(posts), 30, "every post to be sent")
    assert [d.stop() for d in daemons] == [0, 0]
    assert_each_once_and_recorded(ledger, fake_x, posts)
    table = AttemptRow.__table__
    with ledger.engine.connect() as connection:
        claims = Counter(connection.execute(select(table.c.post_id)).scalars())
    assert set(claims.values()) == {1}  # one claim, one attempt, per post
    ledger.close()


class HeldX(FakeX):
    """The fake X, holding each new post's answer until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    def _create_tweet(self, r: Any) -> tuple[int, dict[str, Any]]:
        self.arrived.set()
        self.release.wait(20)
        return super()._create_tweet(r)


def test_sigterm_finishes_the_post_in_flight_and_exits_0(
    sqlite_url: str, tmp_path: Path, spawn: Spawn
):
    posts = x_posts(3, datetime.now(UTC))
    ledger = seed(sqlite_url, posts)
    with HeldX() as fake:
        daemon = spawn(daemon_env(sqlite_url, fake), tmp_path)
        assert fake.arrived.wait(30)
        daemon.signal(signal.SIGTERM)
        wait_for(lambda: '"event": "stopping"' in daemon.stderr, 10, "the daemon to hear it")
        assert daemon.process.poll() is None  # still finishing the request in flight
        fake.release.set()
        assert daemon.wait() == 0
        assert len(fake.tweets) == 1
    assert states(ledger, posts) == {"sent": 1, "scheduled": 2}
    (beat,) = heartbeats(ledger)
    assert beat.stopped
    ledger.close()


def test_run_once_publishes_what_is_due_then_exits(sqlite_url: str, fake_x: FakeX, tmp_path: Path):
    now = datetime.now(UTC)
    due = [*x_posts(2, now), *make_thread(2, platform="twitter", at=now, event="t")]
    later = make_post("later", platform="twitter", at=now + timedelta(hours=1))
    old = make_post("old", platform="twitter", at=now - timedelta(minutes=40))
    ledger = Ledger.open(sqlite_url)
    ledger.sync([*due, later, old], now=now - timedelta(hours=1))
    done = run_cli(daemon_env(sqlite_url, fake_x), tmp_path, "run", "--once", "--log-format=json")
    assert done.returncode == 0, done.stderr
    assert_each_once_and_recorded(ledger, fake_x, due)
    assert (ledger.get(later.id).state, ledger.get(old.id).state) == ("scheduled", "missed")
    assert '"level": "ERROR", "event": "missed"' in done.stderr
    assert heartbeats(ledger)[0].stopped
    ledger.close()


def test_run_once_without_credentials_keeps_posts_and_names_the_variables(
    sqlite_url: str, tmp_path: Path
):
    posts = x_posts(2, datetime.now(UTC))
    ledger = seed(sqlite_url, posts)
    done = run_cli(daemon_env(sqlite_url, None), tmp_path, "run", "--once")
    assert done.returncode == 4, done.stderr  # due posts that could not go out need a person
    assert states(ledger, posts) == {"scheduled": 2}
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 2
    assert "CAMPAIGN_TWITTER_API_KEY" in errors[0]
    assert "2 due post(s) for twitter stay scheduled" in errors[1]
    ledger.close()


def dump(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every ledger table."""
    with ledger.engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in Base.metadata.tables.items()
        }


def test_dry_run_prints_what_is_due_and_changes_nothing(
    sqlite_url: str, fake_x: FakeX, tmp_path: Path
):
    now = datetime.now(UTC)
    posts = [*x_posts(2, now), make_post("old", platform="twitter", at=now - timedelta(hours=1))]
    ledger = Ledger.open(sqlite_url)
    ledger.sync(posts, now=now - timedelta(hours=2))
    before = dump(ledger)
    env = daemon_env(sqlite_url, fake_x)
    done = run_cli(env, tmp_path, "run", "--once", "--dry-run", "--log-format", "json")
    assert done.returncode == 0, done.stderr
    for post in posts[:2]:
        assert post.text in done.stdout
    assert "[dry-run twitter]" in done.stdout
    assert '"dry_run": true' in done.stderr
    assert dump(ledger) == before
    assert fake_x.calls() == []
    ledger.close()


def test_the_loop_picks_up_new_posts_on_time_and_drops_cancelled_ones(
    sqlite_url: str, fake_x: FakeX, tmp_path: Path, spawn: Spawn
):
    """Posts scheduled while the daemon runs go out at their instant (by the daemon's clock,
    here shifted 200 days ahead, so jobs are set on the system clock correctly); a post
    cancelled before its time never goes out."""
    offset = timedelta(days=200)
    env = daemon_env(sqlite_url, fake_x, clock_offset_seconds=str(offset.total_seconds()))
    ledger = Ledger.open(sqlite_url)
    daemon = spawn(env, tmp_path)
    wait_for(lambda: len(heartbeats(ledger)) == 1, 30, "the daemon to start")
    at = datetime.now(UTC) + offset + timedelta(seconds=0.6)
    keep = make_post("keep", platform="twitter", at=at)
    drop = make_post("drop", platform="twitter", at=at + timedelta(seconds=0.2))
    ledger.sync([keep, drop], now=at - timedelta(minutes=1))
    ledger.cancel(drop.id)
    wait_for(lambda: ledger.get(keep.id).state == "sent", 10, "the new post to go out")
    sent_at = ledger.get(keep.id).sent_at
    assert sent_at is not None
    assert timedelta(0) <= sent_at - keep.scheduled_at < timedelta(seconds=1)
    wait_for(lambda: datetime.now(UTC) + offset > drop.scheduled_at + timedelta(seconds=0.5))
    assert daemon.stop() == 0
    assert texts_on(fake_x) == [keep.text]
    assert ledger.get(drop.id).state == "cancelled"
    ledger.close()
