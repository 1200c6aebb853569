"""Benchmark ``Ledger.sync``: 100,000 posts (10,000 events x 10 announcements) into a ledger.

Measures the first sync (every post added), the same sync again (every post unchanged) and
one with 1% of the posts edited, against a baseline measured in the same run: a bare
SQLAlchemy Core executemany INSERT of the same rows into an empty ledger. Peak memory is
measured with tracemalloc in a second, separate pass so it does not slow the timed one.

Usage::

    .venv/bin/python bench/bench_schedule.py [--events 10000] [--url postgresql+psycopg://...]

Without ``--url`` each measurement uses a fresh SQLite file in a temporary folder; with a
PostgreSQL URL, the tables are truncated before each measurement.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from campaign.render.post import Post, post_id
from campaign.store import Ledger
from campaign.store.sync import SyncReport, plan_digest, posts_table

ANNOUNCEMENTS = 10
PLATFORMS = ("twitter", "mastodon", "bluesky", "linkedin")
START = datetime(2031, 1, 1, 9, 0, tzinfo=UTC)
NOW = START - timedelta(days=1)


def build_posts(events: int) -> list[Post]:
    """``events`` x 10 planned posts, as the planner would produce them."""
    posts = []
    for e in range(events):
        for a in range(ANNOUNCEMENTS):
            platform = PLATFORMS[(e + a) % len(PLATFORMS)]
            text = (
                f"Announcement {a} for event {e}: join us at the venue, details at "
                f"https://example.org/events/{e}?utm_source={platform} #Bench{e % 97}"
            )
            posts.append(
                Post(
                    id=post_id("bench", f"event-{e}", f"a{a}", platform, 1),
                    campaign="bench",
                    event=f"event-{e}",
                    announcement=f"a{a}",
                    platform=platform,
                    scheduled_at=START + timedelta(minutes=e * 7 + a * 1440),
                    timezone="Europe/Amsterdam",
                    text=text,
                    length=len(text),
                    limit=500,
                    links=(f"https://example.org/events/{e}?utm_source={platform}",),
                    source=f"schedules/bench.yaml:{a + 10}",
                )
            )
    return posts


def baseline_rows(posts: list[Post]) -> list[dict[str, Any]]:
    """The rows a sync writes for ``posts``, prepared up front (not timed)."""
    return [
        {
            "id": p.id,
            "campaign": p.campaign,
            "event": p.event,
            "announcement": p.announcement,
            "platform": p.platform,
            "state": "scheduled",
            "scheduled_at": p.scheduled_at,
            "not_before": None,
            "timezone": p.timezone,
            "text": p.text,
            "media": [],
            "links": list(p.links),
            "thread": p.thread,
            "thread_size": p.thread_size,
            "previous_id": p.previous_id,
            "root_id": p.root_id,
            "digest": plan_digest(p),
            "source": p.source,
            "attempts": 0,
            "remote_id": None,
            "remote_url": None,
            "last_error": None,
            "claimed_by": None,
            "claimed_at": None,
            "sent_at": None,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for p in posts
    ]


class Bench:
    """Fresh ledgers for each measurement, on SQLite files or an emptied PostgreSQL."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.folder = Path(tempfile.mkdtemp(prefix="bench-schedule-"))
        self.count = 0

    def fresh(self) -> Ledger:
        """An empty ledger."""
        self.count += 1
        ledger = Ledger.open(self.url or f"sqlite:///{self.folder / f'l{self.count}.db'}")
        if self.url:
            with ledger.engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE posts CASCADE")
        return ledger


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``action`` took, and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def peak_mib(action: Callable[[], Any]) -> float:
    """Peak Python memory allocated while ``action`` ran, in MiB."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def counts(report: SyncReport) -> str:
    """The report's non-empty outcomes, e.g. ``added=100000``."""
    return ", ".join(f"{k}={len(v)}" for k, v in report.to_json().items() if v)


def main() -> None:
    """Run every measurement and print a table of figures with ratios to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--url", default=None, help="ledger URL (default: temp SQLite files)")
    args = parser.parse_args()
    posts = build_posts(args.events)
    edited = [
        replace(p, text=p.text + " (edited)") if i % 100 == 0 else p for i, p in enumerate(posts)
    ]
    rows = baseline_rows(posts)
    bench = Bench(args.url)
    print(f"{len(posts):,} posts; backend: {args.url or 'SQLite file (WAL)'}")

    def insert_baseline(ledger: Ledger) -> None:
        with ledger.engine.begin() as connection:
            connection.execute(insert(posts_table), rows)

    results: list[tuple[str, float, float, str]] = []
    with bench.fresh() as ledger:
        base_s, _ = timed(lambda: insert_baseline(ledger))
    with bench.fresh() as ledger:
        base_mib = peak_mib(lambda: insert_baseline(ledger))
    results.append(("baseline: Core executemany INSERT", base_s, base_mib, ""))

    phases: list[tuple[str, list[Post] | None, list[Post]]] = [
        ("sync, new ledger (all added)", None, posts),
        ("sync again, unchanged", posts, posts),
        ("sync with 1% edited", posts, edited),
    ]
    for label, before, plan in phases:
        with bench.fresh() as ledger:
            if before:
                ledger.sync(before, now=NOW)
            seconds, report = timed(lambda ledger=ledger, plan=plan: ledger.sync(plan, now=NOW))
        with bench.fresh() as ledger:
            if before:
                ledger.sync(before, now=NOW)
            mib = peak_mib(lambda ledger=ledger, plan=plan: ledger.sync(plan, now=NOW))
        results.append((label, seconds, mib, counts(report)))

    print(f"{'measurement':38} {'seconds':>8} {'x base':>7} {'peak MiB':>9}  outcome")
    for label, seconds, mib, outcome in results:
        print(f"{label:38} {seconds:8.2f} {seconds / base_s:7.2f} {mib:9.1f}  {outcome}")


if __name__ == "__main__":
    main()
