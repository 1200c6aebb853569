"""Benchmark the publishing daemon against the fake X server, with baselines from the same run.

1. Throughput: N posts due at one instant, published by ``campaign run`` (a subprocess, SQLite
   ledger, or PostgreSQL with ``--url``), against a bare loop calling tweepy's
   ``create_tweet`` N times on the same fake (also a subprocess). Both are timed on the fake,
   first post received to last; ``--rounds`` pairs, taking turns, and the median ratio. Every
   post must reach the fake exactly once (else the bench exits 1).
2. Lateness: M posts spread evenly at half the daemon's burst rate, so it is never behind
   by design; lateness = when the fake received a post minus its planned instant.
3. The ledger alone: the same burst's ledger work with no platform call in between (each post
   claimed with the outcome of the one before, one synced commit a post, logged as the daemon
   logs), in a child process. A daemon that keeps these guarantees spends at least this per
   post on top of the bare loop's request, so bare / (bare + ledger) is the best ratio any
   such daemon can reach on this machine, printed beside the ratio measured.
4. Start-up and memory: time from spawning ``campaign run`` to its "ready" log line (first
   ledger read done, jobs set), and its resident memory then, with 100,000 future posts in the
   ledger against an empty ledger. Only posts within the horizon (10 min) get APScheduler
   jobs, so a large ledger costs one indexed query.

Usage::

    .venv/bin/python bench/bench_daemon.py [--posts 10000] [--paced 2000] [--ledger 100000]
        [--rounds 3] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--throughput-only]

With ``--url`` every measurement gets a new schema in that database (dropped after).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.x_api import FakeX  # noqa: E402

from campaign.render.post import Post, post_id  # noqa: E402
from campaign.store import Ledger  # noqa: E402
from campaign.store.worker import WorkerId, WorkerLedger, heartbeats  # noqa: E402

CAMPAIGN = str(Path(sys.executable).with_name("campaign"))


class TimedX(FakeX):
    """The fake X, noting the wall-clock time each post arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}
        self.received: Counter[str] = Counter()

    def _store(self, text: str, reply_to: str | None, media_ids: list[str], *more: Any) -> Any:
        self.arrivals[text] = time.time()
        self.received[text] += 1
        return super()._store(text, reply_to, media_ids, *more)


def check_exactly_once(received: Counter[str], texts: list[str]) -> None:
    """Exit 1 unless every text in ``texts`` arrived once and nothing else arrived."""
    twice = sorted(t for t, n in received.items() if n > 1)
    lost = sorted(set(texts) - set(received))
    extra = sorted(set(received) - set(texts))
    if twice or lost or extra:
        print(f"FAILED: {len(twice)} duplicate(s), {len(lost)} lost, {len(extra)} unexpected")
        raise SystemExit(1)


@contextlib.contextmanager
def ledger_url(base: str | None, workdir: Path) -> Iterator[str]:
    """A new, empty ledger: a SQLite file in ``workdir``, or a new schema in ``base``."""
    if base is None:
        yield f"sqlite:///{workdir / f'ledger-{time.monotonic_ns()}.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"bench_daemon_{time.monotonic_ns()}"
    url = make_url(base).set(drivername="postgresql+psycopg")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            options = {**url.query, "options": f"-csearch_path={schema}"}
            yield url.set(query=options).render_as_string(hide_password=False)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def bench_text(tag: str, n: int) -> str:
    """Post ``n``'s text: the same shape and length, URL included, for daemon and baseline,
    so the fake does the same text work for both."""
    return f"{tag} post {n}: the workshop starts soon, see https://example.org/e/{n}"


def make_posts(count: int, first: datetime, spacing: timedelta, tag: str) -> list[Post]:
    posts = []
    for n in range(count):
        text = bench_text(tag, n)
        posts.append(
            Post(
                id=post_id("bench", f"{tag}-{n}", "a", "twitter", 1),
                campaign="bench",
                event=f"{tag}-{n}",
                announcement="a",
                platform="twitter",
                scheduled_at=first + spacing * n,
                timezone="Europe/Amsterdam",
                text=text,
                length=len(text),
                limit=280,
            )
        )
    return posts


def env_for(url: str, fake: FakeX | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.update({"CAMPAIGN_DATABASE_URL": url, "CAMPAIGN_POLL_SECONDS": "0.5"})
    if fake is not None:
        env.update(fake.env())
    return env


def start_daemon(
    url: str, fake: FakeX | None, workdir: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    log = workdir / f"daemon-{time.monotonic_ns()}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [CAMPAIGN, "run", "--log-format", "json"],
            env=env_for(url, fake),
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    return process, log


def wait_until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out; see the daemon log in the work folder")
        time.sleep(0.01)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(60)


def bare_loop(url: str, count: int) -> None:
    """The baseline, run in a child process: tweepy create_tweet in a plain loop."""
    import tweepy

    from campaign.adapters._x_adapter import RebasedSession

    env = os.environ
    client = tweepy.Client(
        consumer_key=env["CAMPAIGN_TWITTER_API_KEY"],
        consumer_secret=env["CAMPAIGN_TWITTER_API_SECRET"],
        access_token=env["CAMPAIGN_TWITTER_ACCESS_TOKEN"],
        access_token_secret=env["CAMPAIGN_TWITTER_ACCESS_SECRET"],
        return_type=dict,
    )
    client.session = RebasedSession(url)
    for n in range(count):
        client.create_tweet(text=bench_text("bare", n))


def ledger_alone(url: str) -> None:
    """The ledger's share of the daemon's work, run in a child process: every due post of the
    ledger at ``url`` claimed with the outcome of the one before, as the daemon's lane holder
    does, with no platform call between them. Prints the posts sent and the seconds taken."""
    from campaign.daemon.logs import configure
    from campaign.store.hotpath import NextDue

    with Path(os.devnull).open("w") as log, Ledger.open(url) as ledger:
        configure("json", log)
        book = WorkerLedger(ledger, WorkerId.mine())
        now = datetime.now(UTC)
        due = NextDue("twitter", now - timedelta(hours=1))
        began = time.perf_counter()
        claimed = book.claim(due, now)
        sent = 0
        while claimed is not None:
            post = claimed.post
            _, claimed = book.sent_then_claim(post, datetime.now(UTC), str(sent), None, due)
            sent += 1
        print(sent, time.perf_counter() - began)


def span_rate(fake: TimedX, count: int) -> float:
    times = sorted(fake.arrivals.values())
    assert len(times) == count, f"expected {count} posts on the fake, got {len(times)}"
    return (count - 1) / (times[-1] - times[0])


def measure_bare(count: int) -> float:
    with TimedX() as fake:
        env = {**os.environ, **fake.env()}
        subprocess.run(
            [sys.executable, __file__, "--bare", fake.url, "--posts", str(count)],
            env=env,
            check=True,
        )
        return span_rate(fake, count)


def measure_ledger_alone(workdir: Path, count: int, base: str | None = None) -> float:
    """Seconds per post of the ledger's work alone (see :func:`ledger_alone`)."""
    with ledger_url(base, workdir) as url:
        with Ledger.open(url) as ledger:
            due = datetime.now(UTC) - timedelta(seconds=1)
            ledger.sync(make_posts(count, due, timedelta(0), "alone"))
        answer = subprocess.run(
            [sys.executable, __file__, "--ledger-alone", url],
            env=env_for(url, None),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    sent, seconds = int(answer[0]), float(answer[1])
    if sent != count:
        raise SystemExit(f"FAILED: the ledger alone sent {sent} of {count} posts")
    return seconds / sent


def measure_daemon(
    workdir: Path, count: int, paced_rate: float | None, base: str | None = None
) -> tuple[float, list[float]]:
    """Posts/s and lateness (s) of the daemon for ``count`` posts (a burst, or paced)."""
    with ledger_url(base, workdir) as url, TimedX() as fake, Ledger.open(url) as ledger:
        process, _log = start_daemon(url, fake, workdir)
        wait_until(lambda: heartbeats(ledger), 60)
        first = datetime.now(UTC) + timedelta(seconds=3)
        spacing = timedelta(seconds=1 / paced_rate) if paced_rate else timedelta(0)
        tag = "paced" if paced_rate else "burst"
        posts = make_posts(count, first, spacing, tag)
        ledger.sync(posts)
        wait_until(lambda: len(fake.arrivals) >= count, 60 + count / 20)
        stop(process)
        check_exactly_once(fake.received, [p.text for p in posts])
        late = [fake.arrivals[p.text] - p.scheduled_at.timestamp() for p in posts]
        return span_rate(fake, count), late


def measure_start(workdir: Path, scheduled: int) -> tuple[float, int]:
    """Seconds from spawn to "ready", and resident memory (kB) then, with ``scheduled`` posts."""
    url = f"sqlite:///{workdir / f'ledger-{time.monotonic_ns()}.db'}"
    with Ledger.open(url) as ledger:
        start = datetime.now(UTC) + timedelta(hours=1)
        ledger.sync(make_posts(scheduled, start, timedelta(seconds=26), "future"))
    began = time.monotonic()
    process, log = start_daemon(url, None, workdir)
    wait_until(lambda: '"event": "ready"' in log.read_text(), 120)
    elapsed = time.monotonic() - began
    status = Path(f"/proc/{process.pid}/status").read_text()
    rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
    stop(process)
    return elapsed, rss


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the burst")
    parser.add_argument("--paced", type=int, default=2_000, help="posts in the paced run")
    parser.add_argument("--ledger", type=int, default=100_000, help="future posts at start-up")
    parser.add_argument("--rounds", type=int, default=1, help="throughput pairs, taking turns")
    parser.add_argument("--url", help="a PostgreSQL database for the ledgers (default: SQLite)")
    parser.add_argument("--throughput-only", action="store_true", help="skip lateness, start-up")
    parser.add_argument("--bare", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--ledger-alone", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_loop(args.bare, args.posts)
        return
    if args.ledger_alone:
        ledger_alone(args.ledger_alone)
        return
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        where = "PostgreSQL" if args.url else "SQLite"
        print(f"throughput, {args.posts} posts due at once, {where} ledger:")
        ratios, rates, bests = [], [], []
        for _ in range(args.rounds):
            bare = measure_bare(args.posts)
            rate, burst_late = measure_daemon(workdir, args.posts, None, args.url)
            alone = measure_ledger_alone(workdir, args.posts, args.url)
            best = (1 / bare) / (1 / bare + alone)
            ratios.append(rate / bare)
            rates.append(rate)
            bests.append(best)
            print(
                f"  bare tweepy loop {bare:8.1f} posts/s   campaign run {rate:8.1f} posts/s   "
                f"ratio {rate / bare:.2f}   last post out {max(burst_late):.2f} s after due\n"
                f"    the ledger alone {1000 * alone:.3f} ms a post: at best {best:.2f} of the "
                "bare loop"
            )
        print(
            f"  median ratio {statistics.median(ratios):.2f} of {args.rounds} round(s) "
            f"(goal >= 0.8; at best {statistics.median(bests):.2f} with the ledger's own work); "
            "every post received exactly once"
        )
        if args.throughput_only:
            return
        rate = statistics.median(rates)
        paced_rate = rate / 2
        _, late = measure_daemon(workdir, args.paced, paced_rate, args.url)
        ms = [1000 * x for x in late]
        print(f"lateness, {args.paced} posts at {paced_rate:.0f} posts/s (half the daemon's rate):")
        print(
            f"  p50 {percentile(ms, 50):6.1f} ms   p99 {percentile(ms, 99):6.1f} ms   "
            f"max {max(ms):6.1f} ms   min {min(ms):6.1f} ms (goal p99 < 100 ms)"
        )
        empty_s, empty_kb = measure_start(workdir, 0)
        full_s, full_kb = measure_start(workdir, args.ledger)
        print("start-up to ready, and resident memory then:")
        print(f"  empty ledger        {empty_s:6.2f} s   {empty_kb / 1024:6.1f} MiB")
        print(
            f"  {args.ledger:,} scheduled {full_s:6.2f} s   {full_kb / 1024:6.1f} MiB   "
            f"ratio {full_s / empty_s:.2f} time, {full_kb / empty_kb:.2f} memory"
        )


if __name__ == "__main__":
    main()
