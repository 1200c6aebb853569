"""Benchmark a burst over several daemons: 10,000 posts due within one minute on PostgreSQL.

Half the posts are for the fake X, half for the fake Mastodon (both servers in this process,
arrival times noted by them), over 200 events, all due at the same instant (``--spread 60``:
evenly over that minute instead, which one daemon nearly keeps up with on a quiet machine, so
the time to the last post cannot show what a second daemon adds). ``campaign
run`` runs as 1, 2 and 4 processes on one PostgreSQL ledger (a new schema per run). For each:
the time from the first post's instant to the last post's arrival on its fake, the posts per
second over the burst, lateness (arrival minus planned instant: p50, p99, max), and a check
that every post arrived exactly once (else exit 1). The one-daemon run is the baseline of the
others, in the same run.

Usage::

    .venv/bin/python bench/bench_burst.py [--posts 10000] [--daemons 1 2 4] [--spread 0]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_daemon import (  # noqa: E402
    CAMPAIGN,
    TimedX,
    bench_text,
    check_exactly_once,
    env_for,
    ledger_url,
    percentile,
    stop,
    wait_until,
)
from tests.fakes.mastodon_api import FakeMastodon  # noqa: E402

from campaign.render.post import Post, post_id  # noqa: E402
from campaign.store import Ledger  # noqa: E402
from campaign.store.worker import heartbeats  # noqa: E402

EVENTS = 200


class TimedMastodon(FakeMastodon):
    """The fake Mastodon, noting when each post arrives, with no rate limit to reach."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}
        self.received: Counter[str] = Counter()

    def _post_status(self, form: dict[str, Any], headers: Any) -> tuple[int, Any]:
        text = str(form.get("status") or "")
        self.arrivals[text] = time.time()
        self.received[text] += 1
        self.remaining = 10**9
        return super()._post_status(form, headers)


def burst(count: int, first: datetime, spread: timedelta, tag: str) -> list[Post]:
    """``count`` posts, alternately X and Mastodon, over ``EVENTS`` events, evenly over
    ``spread`` from ``first``."""
    posts = []
    for n in range(count):
        platform = "twitter" if n % 2 == 0 else "mastodon"
        event = f"{tag}-e{n % EVENTS}"
        announcement = f"a{n // EVENTS}"
        text = bench_text(tag, n)
        posts.append(
            Post(
                id=post_id("burst", event, announcement, platform, 1),
                campaign="burst",
                event=event,
                announcement=announcement,
                platform=platform,
                scheduled_at=first + spread * n / count,
                timezone="Europe/Amsterdam",
                text=text,
                length=len(text),
                limit=280,
            )
        )
    return posts


def run(base: str, workdir: Path, daemons: int, count: int, spread: timedelta) -> dict[str, float]:
    """One burst with ``daemons`` processes: seconds to the last post, rate, lateness (ms)."""
    with (
        ledger_url(base, workdir) as url,
        TimedX() as x,
        TimedMastodon() as mastodon,
        Ledger.open(url) as ledger,
    ):
        env = {**env_for(url, x), **mastodon.env()}
        processes = []
        for n in range(daemons):
            with (workdir / f"daemon-{daemons}-{n}.log").open("wb") as err:
                processes.append(
                    subprocess.Popen(
                        [CAMPAIGN, "run", "--log-format", "json"],
                        env=env,
                        cwd=workdir,
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                    )
                )
        wait_until(lambda: len(heartbeats(ledger)) >= daemons, 60)
        first = datetime.now(UTC) + timedelta(seconds=5)
        posts = burst(count, first, spread, f"d{daemons}")
        ledger.sync(posts)
        wait_until(lambda: len(x.arrivals) + len(mastodon.arrivals) >= count, 120 + count / 10)
        for process in processes:
            stop(process)
        received = x.received + mastodon.received
        check_exactly_once(received, [p.text for p in posts])
        arrivals = {**x.arrivals, **mastodon.arrivals}
        late = [1000 * (arrivals[p.text] - p.scheduled_at.timestamp()) for p in posts]
        times = sorted(arrivals.values())
        return {
            "last": max(arrivals.values()) - first.timestamp(),
            "rate": (count - 1) / (times[-1] - times[0]),
            "p50": statistics.median(late),
            "p99": percentile(late, 99),
            "max": max(late),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--daemons", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--spread", type=float, default=0.0, help="seconds over which the posts are due"
    )
    parser.add_argument(
        "--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", help="PostgreSQL"
    )
    args = parser.parse_args()
    spread = timedelta(seconds=args.spread)
    print(
        f"{args.posts} posts due evenly over {args.spread:g} s, X and Mastodon, {EVENTS} events, "
        "PostgreSQL ledger:"
    )
    baseline = None
    with tempfile.TemporaryDirectory() as folder:
        for daemons in args.daemons:
            got = run(args.url, Path(folder), daemons, args.posts, spread)
            baseline = baseline or got["last"]
            print(
                f"  {daemons} daemon(s): last post {got['last']:6.1f} s after the first was due "
                f"({baseline / got['last']:.2f}x faster than {args.daemons[0]}), "
                f"{got['rate']:6.1f} posts/s, lateness p50 {got['p50'] / 1000:5.1f} s "
                f"p99 {got['p99'] / 1000:5.1f} s max {got['max'] / 1000:5.1f} s; "
                "each post once"
            )


if __name__ == "__main__":
    main()
