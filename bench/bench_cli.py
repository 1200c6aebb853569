"""The command line as whole processes: start-up, and a large preview, against bare baselines.

Two pairs, each run as separate processes of this virtual environment's Python, taking
turns round after round (so a moment when the shared machine is slower falls on both), the
median of each counting:

1. ``campaign --help`` against a bare Typer app with the same commands and groups (same
   names, same one-line help), written to a temporary file. Goal: within 1.5x.
2. ``campaign preview FILE --json`` of 1,000 event records x 5 announcements on X (5,000
   renders, 7,000 posts: the thank-you template is a 3-part thread), the project generated
   as in bench_preview.py, against a bare script that loads the same YAML (PyYAML's C
   loader), renders the same templates with the same contexts in Jinja2's sandbox and
   prints the texts as a JSON array. Goal: within 3x. The same pair on a project of one
   record follows: what is left there is start-up.

    .venv/bin/python bench/bench_cli.py [--rounds 21] [--records 1000]

Standard output of every process goes to /dev/null; a process that fails stops the bench.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

from bench_preview import build_project
from campaign.cli import app

BIN = Path(sys.executable).parent

BARE_PREVIEW = '''\
"""Load the campaign's YAML, render its templates in Jinja2's sandbox, print the texts."""
import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

folder, platform = Path(sys.argv[1]), sys.argv[2]
env = ImmutableSandboxedEnvironment(
    loader=FileSystemLoader(folder / "templates"),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(
    date=lambda v, f="%-d %B %Y": v.strftime(f),
    time=lambda v, f="%H:%M": v.strftime(f),
    hashtags=lambda tags: " ".join(f"#{t}" for t in tags),
)
data = yaml.load((folder / "schedules" / "bench.yaml").read_bytes(), Loader=yaml.CSafeLoader)
events = yaml.load((folder / "schedules" / "events.yaml").read_bytes(), Loader=yaml.CSafeLoader)
zone = ZoneInfo(data.get("timezone", "Europe/Amsterdam"))
templates = [
    env.select_template([f"{platform}/{a['template']}.j2", f"{a['template']}.j2"])
    for a in data["announcements"]
]
texts = []
for event in events:
    view = dict(event)
    view["starts"] = datetime.fromisoformat(event["starts"]).replace(tzinfo=zone)
    view["ends"] = datetime.fromisoformat(event["ends"]).replace(tzinfo=zone)
    for template in templates:
        texts.append(
            template.render(
                event=view,
                vars=data["vars"],
                platform=platform,
                handle=lambda event=event: event["handles"][platform],
            )
        )
print(json.dumps(texts, indent=2, ensure_ascii=False))
'''


def bare_typer_app() -> str:
    """The source of a Typer app with the commands and groups of ``campaign``, doing nothing."""
    root: Any = typer.main.get_command(app)
    lines = [
        "import typer",
        f"app = typer.Typer(name='campaign', help={root.help!r}, no_args_is_help=True,",
        "                  add_completion=False, pretty_exceptions_enable=False)",
    ]
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            group = f"group_{name.replace('-', '_')}"
            lines.append(f"{group} = typer.Typer(help={command.help!r}, no_args_is_help=True)")
            lines.append(f"app.add_typer({group}, name={name!r})")
            targets = [(group, sub, cmd) for sub, cmd in command.commands.items()]
        else:
            targets = [("app", name, command)]
        for owner, sub, cmd in targets:
            function = f"{owner}_{sub.replace('-', '_')}"
            lines += [
                f"@{owner}.command({sub!r}, help={cmd.help!r})",
                f"def {function}() -> None:",
                "    pass",
            ]
    lines.append("app()")
    return "\n".join(lines) + "\n"


def run_once(argv: list[str]) -> float:
    """Seconds one process takes, spawn to exit; standard output discarded."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr.decode()}")
    return seconds


def medians(pairs: dict[str, list[str]], rounds: int) -> dict[str, tuple[float, float]]:
    """Median and lowest seconds of each command over ``rounds``, the commands taking turns."""
    times: dict[str, list[float]] = {name: [] for name in pairs}
    for argv in pairs.values():  # one warm-up each: the file cache, .pyc files
        run_once(argv)
    for _ in range(rounds):
        for name, argv in pairs.items():
            times[name].append(run_once(argv))
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


def report(title: str, figures: dict[str, tuple[float, float]], goal: float) -> None:
    """Print ``figures`` (ours first, the baseline second) and the ratio of their medians."""
    (ours, (ours_median, ours_low)), (bare, (bare_median, bare_low)) = figures.items()
    print(title)
    print(f"  {bare:<34} median {bare_median:6.3f} s  lowest {bare_low:6.3f} s")
    print(f"  {ours:<34} median {ours_median:6.3f} s  lowest {ours_low:6.3f} s")
    ratio = ours_median / bare_median
    print(
        f"  ratio of medians {ratio:.2f}x, of lowest {ours_low / bare_low:.2f}x (goal <= {goal}x)"
    )


def main() -> None:
    """Build the baselines and the projects, run each pair and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="runs of each; the median counts")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--platform", default="twitter")
    args = parser.parse_args()
    python, campaign = str(BIN / "python"), str(BIN / "campaign")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare_app, bare_preview = folder / "bare_app.py", folder / "bare_preview.py"
        bare_app.write_text(bare_typer_app(), encoding="utf-8")
        bare_preview.write_text(BARE_PREVIEW, encoding="utf-8")
        help_figures = medians(
            {
                "campaign --help": [campaign, "--help"],
                "bare Typer app --help": [python, str(bare_app), "--help"],
            },
            args.rounds,
        )
        report("start-up: --help", help_figures, 1.5)
        # The same pair on one record shows how much of each is start-up.
        for records in (args.records, 1):
            project = folder / f"records-{records}"
            path = build_project(project, records, args.platform)
            preview_figures = medians(
                {
                    "campaign preview --json": [campaign, "preview", str(path), "--json"],
                    "bare YAML + sandboxed Jinja2": [
                        python,
                        str(bare_preview),
                        str(project),
                        args.platform,
                    ],
                },
                max(5, args.rounds // 2),
            )
            report(f"preview of {records} record(s) x 5 announcements", preview_figures, 3)


if __name__ == "__main__":
    main()
