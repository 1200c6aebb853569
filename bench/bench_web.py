"""Benchmark the calendar's month view with 10,000 posts in the ledger.

The server renders ``/month`` for a month holding 10,000 posts (about 330 a day); each day
lists its first four and says how many more. Beside it, in the same run and through the same
ASGI transport: a bare Starlette page that reads the same month's rows from the same ledger
and returns them as plain text (the baseline). Each request is made in-process (httpx's
ASGI transport), so the figures are the server's own time, without a socket. Also reported:
the month page's weight.

Usage::

    .venv/bin/python bench/bench_web.py [--posts 10000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from campaign.render.post import Post, post_id
from campaign.store import Ledger
from campaign.store.sync import posts_table
from campaign.web.app import create_app
from campaign.web.security import WebSettings

PLATFORMS = ("twitter", "mastodon", "bluesky", "linkedin")
MONTH_START = datetime(2031, 3, 1, tzinfo=UTC)
NOW = MONTH_START - timedelta(days=1)


def build_posts(count: int) -> list[Post]:
    """``count`` posts spread over March 2031, as the planner would produce them."""
    spacing = timedelta(days=31) / count
    posts = []
    for n in range(count):
        platform = PLATFORMS[n % len(PLATFORMS)]
        text = (
            f"Announcement {n}: join us at the venue, details at "
            f"https://example.org/events/{n}?utm_source={platform} #Bench{n % 97}"
        )
        posts.append(
            Post(
                id=post_id("bench", f"event-{n // 8}", f"a{n % 8}", platform, 1),
                campaign="bench",
                event=f"event-{n // 8}",
                announcement=f"a{n % 8}",
                platform=platform,
                scheduled_at=MONTH_START + spacing * n + timedelta(hours=1),
                timezone="Europe/Amsterdam",
                text=text,
                length=len(text),
                limit=280,
            )
        )
    return posts


def bare_app(ledger: Ledger) -> Starlette:
    """The baseline: the month's rows from the same ledger, as plain text."""

    async def month(request: Request) -> PlainTextResponse:
        query = (
            select(posts_table)
            .where(posts_table.c.scheduled_at >= MONTH_START)
            .where(posts_table.c.scheduled_at < MONTH_START + timedelta(days=31))
            .order_by(posts_table.c.scheduled_at)
        )
        with ledger.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return PlainTextResponse(
            "\n".join(f"{r['scheduled_at']} {r['platform']} {r['text']}" for r in rows)
        )

    return Starlette(routes=[Route("/month", month)])


async def timings(app: Starlette, path: str, repeats: int) -> tuple[list[float], int]:
    """Seconds for each of ``repeats`` GETs of ``path`` (after one warm-up), and the size."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        size = len((await client.get(path)).content)
        spent = []
        for _ in range(repeats):
            started = time.perf_counter()
            answer = await client.get(path)
            spent.append(time.perf_counter() - started)
            assert answer.status_code == 200
    return spent, size


def main() -> None:
    """Build the ledger, measure both pages in turns, print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        ledger.sync(build_posts(args.posts), now=NOW)
        web = create_app(ledger, settings=WebSettings.model_construct(), clock=lambda: NOW)
        bare = bare_app(ledger)
        path = "/month?date=2031-03-01&tz=UTC"
        ours, size = asyncio.run(timings(web, path, args.repeats))
        base, base_size = asyncio.run(timings(bare, "/month", args.repeats))
        ledger.close()
    ours_ms, base_ms = statistics.median(ours) * 1000, statistics.median(base) * 1000
    print(f"posts in the month:           {args.posts:,}")
    print(f"bare Starlette, rows as text:  {base_ms:7.1f} ms median ({base_size / 1024:.0f} KB)")
    print(f"campaign web /month:           {ours_ms:7.1f} ms median ({size / 1024:.0f} KB)")
    print(f"ratio:                         {ours_ms / base_ms:7.2f}x (goal: within 150 ms)")


if __name__ == "__main__":
    main()
