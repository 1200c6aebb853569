"""Benchmark the daemon's engagement reads against the fake X, with baselines from the same run.

1. Requests: 10,000 posts sent about an hour ago, all due for their 1 h reading. ``campaign
   run`` (a subprocess, SQLite ledger) reads them in one round; the requests the fake received
   are counted against a bare loop calling tweepy's ``get_tweets`` with 100 ids a call (X's
   limit), and both are timed on the fake, first request to last.
2. Lateness while that round runs: posts paced evenly from three seconds after the daemon is
   ready; lateness = when the fake received a post minus its planned instant. The sent posts
   come due 30 s in, so the daemon's first round (right after start-up) finds nothing and its
   second (a minute later) reads them while posts go out. The same schedule with
   ``CAMPAIGN_METRICS_AT=`` (reads off) is the baseline.

Usage::

    .venv/bin/python bench/bench_metrics.py [--sent 10000] [--paced 150] [--rate 2]
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

import tweepy  # noqa: E402
from sqlalchemy import bindparam, func, select, update  # noqa: E402

from bench_daemon import TimedX, env_for, make_posts, percentile, stop, wait_until  # noqa: E402
from campaign.adapters._x_adapter import RebasedSession  # noqa: E402
from campaign.store import Ledger  # noqa: E402
from campaign.store.schema import MetricRow  # noqa: E402
from campaign.store.sync import posts_table  # noqa: E402

CAMPAIGN = str(Path(sys.executable).with_name("campaign"))
BATCH = 100  # X's limit on ids per GET /2/tweets


class ReadX(TimedX):
    """The timed fake X, also noting when each engagement read arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[float] = []

    def _lookup(self, r: Any) -> Any:
        self.reads.append(time.time())
        return super()._lookup(r)


def sent_ledger(url: str, fake: ReadX, count: int) -> None:
    """A ledger whose ``count`` posts went out on ``fake``, coming due for their 1 h reading
    30 s after this returns."""
    planned = datetime.now(UTC) - timedelta(hours=1)
    posts = make_posts(count, planned, timedelta(0), "sent")
    with Ledger.open(url) as ledger:
        ledger.sync(posts, now=planned - timedelta(hours=1))
        remote = [fake.add_tweet(f"sent {n}").id for n in range(count)]
        sent_at = datetime.now(UTC) + timedelta(seconds=30) - timedelta(hours=1)
        mark = (
            update(posts_table)
            .where(posts_table.c.id == bindparam("b_id"))
            .values(state="sent", remote_id=bindparam("b_remote"), sent_at=sent_at)
        )
        with ledger.engine.begin() as connection:
            connection.execute(
                mark, [{"b_id": p.id, "b_remote": r} for p, r in zip(posts, remote, strict=True)]
            )
    fake.arrivals.clear()  # add_tweet goes through the fake's store: not a post of the run


def readings(url: str) -> int:
    with Ledger.open(url) as ledger, ledger.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(MetricRow)).scalar_one())


def run(workdir: Path, sent: int, paced: int, rate: float, metrics_at: str) -> dict[str, Any]:
    """One daemon run: ``sent`` posts coming due for a reading 30 s after start, ``paced``
    posts published at ``rate`` per second meanwhile. Returns the fake and the lateness."""
    url = f"sqlite:///{workdir / f'ledger-{time.monotonic_ns()}.db'}"
    fake = ReadX().start()
    try:
        sent_ledger(url, fake, sent)
        env = {**env_for(url, fake), "CAMPAIGN_METRICS_AT": metrics_at}
        log = workdir / f"daemon-{time.monotonic_ns()}.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                [CAMPAIGN, "run", "--log-format", "json"],
                env=env,
                cwd=workdir,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        wait_until(lambda: '"event": "ready"' in log.read_text(), 60)
        first = datetime.now(UTC) + timedelta(seconds=3)
        posts = make_posts(paced, first, timedelta(seconds=1 / rate), "paced")
        with Ledger.open(url) as ledger:
            ledger.sync(posts, now=datetime.now(UTC))
        wait_until(lambda: len(fake.arrivals) >= paced, 60 + paced / rate)
        if metrics_at:
            wait_until(lambda: readings(url) >= sent, 180)
        stop(process)
        late = [fake.arrivals[p.text] - p.scheduled_at.timestamp() for p in posts]
        during = [
            fake.arrivals[p.text] - p.scheduled_at.timestamp()
            for p in posts
            if fake.reads and fake.reads[0] <= fake.arrivals[p.text] <= fake.reads[-1]
        ]
        return {"fake": fake, "late": late, "during": during, "url": url}
    finally:
        fake.stop()


def bare_reads(fake: ReadX) -> tuple[int, float]:
    """Requests and seconds a plain loop of tweepy ``get_tweets`` takes for every post."""
    keys = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    client = tweepy.Client(
        **dict(zip(keys, fake.credentials.values(), strict=True)), return_type=dict
    )
    client.session = RebasedSession(fake.url)
    ids = [t.id for t in fake.tweets if t.text.startswith("sent ")]
    fake.reads.clear()
    for start in range(0, len(ids), BATCH):
        client.get_tweets(
            ids[start : start + BATCH], user_auth=True, tweet_fields=["public_metrics"]
        )
    return len(fake.reads), fake.reads[-1] - fake.reads[0]


def lateness(label: str, late: list[float]) -> str:
    ms = [1000 * x for x in late]
    return (
        f"  {label:<18} p50 {percentile(ms, 50):6.1f} ms   p99 {percentile(ms, 99):6.1f} ms   "
        f"max {max(ms):6.1f} ms   ({len(ms)} posts)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sent", type=int, default=10_000, help="sent posts due for a read")
    parser.add_argument("--paced", type=int, default=150, help="posts published meanwhile")
    parser.add_argument("--rate", type=float, default=2.0, help="paced posts per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        off = run(workdir, args.sent, args.paced, args.rate, "")
        on = run(workdir, args.sent, args.paced, args.rate, "1h,24h,7d")
        fake: ReadX = on["fake"]
        requests, seconds = len(fake.reads), fake.reads[-1] - fake.reads[0]
        stored = readings(on["url"])
        with ReadX() as replay:
            for n in range(args.sent):
                replay.add_tweet(f"sent {n}")
            bare, bare_seconds = bare_reads(replay)
    best = math.ceil(args.sent / BATCH)
    print(f"engagement reads, {args.sent} sent posts due for their 1 h reading on the fake X:")
    print(f"  bare batched loop  {bare:5d} requests  {bare_seconds:6.2f} s   (fewest: {best})")
    print(
        f"  campaign run       {requests:5d} requests  {seconds:6.2f} s   "
        f"ratio {requests / bare:.2f} requests (goal <= 1.2), {stored} readings stored"
    )
    print(f"publishing lateness, {args.paced} posts at {args.rate:g} posts/s:")
    print(lateness("reads off", off["late"]))
    print(lateness("reads on, all", on["late"]))
    if on["during"]:
        print(lateness("during the round", on["during"]) + " (goal p99 < 100 ms)")


if __name__ == "__main__":
    main()
