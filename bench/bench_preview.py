"""Preview of 1,000 event records x 5 announcements x 1 platform (5,000 posts).

Prints seconds and peak memory for ``campaign.render.planner.plan_files`` (load, render in
the sandbox, tag links, measure length, check limits) beside rendering the same templates
with the same contexts in bare Jinja2, measured in the same run, and the ratio. Loading the
records alone is timed too: the bare baseline gets its records already loaded.

    .venv/bin/python bench/bench_preview.py [--records 1000] [--platform twitter]
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from twitter_text import parse_tweet

from campaign.records.campaign_file import load_campaign
from campaign.render.planner import plan_files

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "schedules" / "darkweb-2017.yaml"


def build_project(folder: Path, records: int, platform: str) -> Path:
    """A copy of the example campaign whose plan applies to ``records`` generated events."""
    shutil.copytree(ROOT / "templates", folder / "templates")
    (folder / "schedules").mkdir()
    shutil.copytree(ROOT / "schedules" / "media", folder / "schedules" / "media")
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    event = data.pop("event")
    events = []
    for n in range(records):
        day = 1 + n % 28
        events.append(
            {
                **event,
                "id": f"workshop-{n:05d}",
                "title": f"Workshop {n}",
                "starts": f"2027-{1 + n % 12:02d}-{day:02d} 09:00",
                "ends": f"2027-{1 + n % 12:02d}-{day:02d} 17:00",
            }
        )
    (folder / "schedules" / "events.yaml").write_text(yaml.safe_dump(events), encoding="utf-8")
    data.update(events="events.yaml", platforms=[platform])
    path = folder / "schedules" / "bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def bare_jinja(
    folder: Path,
    records: int,
    platform: str,
    measure_length: bool = False,
    load_records: bool = False,
) -> Callable[[], int]:
    """Render the same templates with the same contexts in a plain Jinja2 environment.

    With ``measure_length`` each text is also measured with twitter-text-parser, the
    straightforward way to check X's limit. With ``load_records`` the events file is read
    inside the timed run too (with PyYAML's C loader), as a preview must.
    """
    env = Environment(
        loader=FileSystemLoader(folder / "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - posts are plain text, as in campaign's own environment
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=lambda v, f="%-d %B %Y": v.strftime(f),
        time=lambda v, f="%H:%M": v.strftime(f),
        hashtags=lambda tags: " ".join(f"#{t}" for t in tags),
    )
    data = yaml.safe_load((folder / "schedules" / "bench.yaml").read_text(encoding="utf-8"))
    events_file = folder / "schedules" / "events.yaml"
    events = yaml.safe_load(events_file.read_text(encoding="utf-8"))
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Amsterdam")
    templates = [
        env.select_template([f"{platform}/{a['template']}.j2", f"{a['template']}.j2"])
        for a in data["announcements"]
    ]

    def run() -> int:
        count = 0
        source = (
            yaml.load(events_file.read_bytes(), Loader=yaml.CSafeLoader) if load_records else events
        )
        for event in source[:records]:
            view: dict[str, Any] = dict(event)
            view["starts"] = datetime.fromisoformat(event["starts"]).replace(tzinfo=zone)
            view["ends"] = datetime.fromisoformat(event["ends"]).replace(tzinfo=zone)
            for template in templates:
                text = template.render(
                    event=view,
                    vars=data["vars"],
                    platform=platform,
                    handle=lambda event=event: event["handles"][platform],
                )
                if measure_length:
                    parse_tweet(text)
                count += 1
        return count

    return run


def loading(path: Path) -> Callable[[], int]:
    """Load the campaign and its records as ``plan_files`` does: with the collector paused."""

    def run() -> int:
        gc.disable()
        try:
            return len(load_campaign(path).records)
        finally:
            gc.enable()

    return run


def measure(fn: Callable[[], int], repeats: int = 3) -> tuple[float, float, int]:
    """Seconds (best of ``repeats``) and peak traced memory in MiB of ``fn``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, count


def main() -> None:
    """Run both measurements and print the figures and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--platform", default="twitter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = build_project(Path(tmp), args.records, args.platform)
        ours = measure(lambda: len(plan_files([path])))
        loaded = measure(loading(path))
        bare = measure(bare_jinja(Path(tmp), args.records, args.platform))
        bare_loading = measure(
            bare_jinja(Path(tmp), args.records, args.platform, load_records=True)
        )
        checked = measure(
            bare_jinja(Path(tmp), args.records, args.platform, measure_length=True), repeats=1
        )
    rows = [
        ("campaign preview", "texts", ours),
        ("  of which loading records", "records", loaded),
        ("bare Jinja2 render", "texts", bare),
        ("bare Jinja2 load + render", "texts", bare_loading),
        ("bare Jinja2 + parse_tweet", "texts", checked),
    ]
    for name, unit, (seconds, peak, count) in rows:
        print(f"{name:<26}: {count:>6} {unit:<7} {seconds:7.3f} s  peak {peak:7.1f} MiB")
    planning = ours[0] - loaded[0]
    print(f"ratio ours / bare Jinja2              : {ours[0] / bare[0]:6.2f}x (goal <= 3x)")
    print(f"ratio ours without loading / bare     : {planning / bare[0]:6.2f}x")
    print(f"ratio ours / bare load + render       : {ours[0] / bare_loading[0]:6.2f}x")
    print(f"ratio ours / bare Jinja2 + parse_tweet: {ours[0] / checked[0]:6.2f}x")


if __name__ == "__main__":
    main()
