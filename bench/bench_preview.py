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
    # The example's English plan (its Greek variants left out), as measured before it had any.
    main = data.pop("languages", ["en"])[0]
    data["announcements"] = [
        a for a in data["announcements"] if a.pop("languages", [main]) == [main]
    ]
    event = {
        name: value[main] if isinstance(value, dict) and main in value else value
        for name, value in data.pop("event").items()
    }
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


def best_times(runs: dict[str, Callable[[], int]], repeats: int) -> dict[str, tuple[float, int]]:
    """Best seconds and count of each of ``runs`` over ``repeats`` rounds, taking turns.

    Taking turns, a moment when the shared machine is slower falls on all of them alike;
    each run starts with the garbage of the ones before it collected.
    """
    best = dict.fromkeys(runs, float("inf"))
    counts = dict.fromkeys(runs, 0)
    for _ in range(repeats):
        for name, fn in runs.items():
            gc.collect()
            start = time.perf_counter()
            counts[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: (best[name], counts[name]) for name in runs}


def peak_mib(fn: Callable[[], int]) -> float:
    """Peak traced memory in MiB of one run of ``fn``."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def main() -> None:
    """Run both measurements and print the figures and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--platform", default="twitter")
    parser.add_argument("--repeats", type=int, default=7, help="rounds; the best of each counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = build_project(folder, args.records, args.platform)
        runs = {
            "campaign preview": lambda: len(plan_files([path])),
            "  of which loading records": loading(path),
            "bare Jinja2 render": bare_jinja(folder, args.records, args.platform),
            "bare Jinja2 load + render": bare_jinja(
                folder, args.records, args.platform, load_records=True
            ),
        }
        slow = {  # seven seconds a round: one round
            "bare Jinja2 + parse_tweet": bare_jinja(
                folder, args.records, args.platform, measure_length=True
            )
        }
        timed = best_times(runs, args.repeats) | best_times(slow, 1)
        peaks = {name: peak_mib(fn) for name, fn in (runs | slow).items()}
    for name, (seconds, count) in timed.items():
        unit = "records" if "loading" in name else "texts"
        print(f"{name:<26}: {count:>6} {unit:<7} {seconds:7.3f} s  peak {peaks[name]:7.1f} MiB")
    ours, loaded = timed["campaign preview"][0], timed["  of which loading records"][0]
    bare, bare_loading = timed["bare Jinja2 render"][0], timed["bare Jinja2 load + render"][0]
    checked_seconds = timed["bare Jinja2 + parse_tweet"][0]
    print(f"ratio ours / bare Jinja2              : {ours / bare:6.2f}x (goal <= 3x)")
    print(f"ratio ours without loading / bare     : {(ours - loaded) / bare:6.2f}x")
    print(f"ratio ours / bare load + render       : {ours / bare_loading:6.2f}x")
    print(f"ratio ours / bare Jinja2 + parse_tweet: {ours / checked_seconds:6.2f}x")


if __name__ == "__main__":
    main()
