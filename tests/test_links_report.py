"""`campaign links report`: click counts per post, platform, announcement and day, exact."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from campaign.cli import app
from campaign.clicks.clicks import ClickRecorder
from campaign.store.ledger import Ledger
from tests.linkhelpers import ledger_on, seed, short_link

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

LINKS = [
    short_link("A1A1A1A1A1A1A1A1", post="post-a", platform="twitter"),
    short_link("A2A2A2A2A2A2A2A2", post="post-a", platform="twitter"),
    short_link("BBBBBBBBBBBBBBBB", post="post-b", platform="mastodon"),
    short_link(
        "CCCCCCCCCCCCCCCC",
        post="post-c",
        platform="linkedin",
        announcement="thank_you",
        campaign="other-2018",
    ),
    short_link("DDDDDDDDDDDDDDDD", post="post-d", platform="bluesky", announcement="thank_you"),
]
# (UTC time, code, user agent); 23:59 and 00:00 check that days are UTC days.
CLICKS = [
    ("2017-09-20T10:00", "A1A1A1A1A1A1A1A1", IPHONE),
    ("2017-09-20T23:59", "A1A1A1A1A1A1A1A1", FIREFOX),
    ("2017-09-20T11:00", "A1A1A1A1A1A1A1A1", GOOGLEBOT),
    ("2017-09-21T00:00", "A1A1A1A1A1A1A1A1", IPHONE),
    ("2017-09-21T08:00", "A2A2A2A2A2A2A2A2", GOOGLEBOT),
    ("2017-09-20T12:00", "BBBBBBBBBBBBBBBB", FIREFOX),
    ("2017-09-22T09:00", "DDDDDDDDDDDDDDDD", IPHONE),
    ("2017-09-22T09:30", "DDDDDDDDDDDDDDDD", IPHONE),
]


def row(
    post: str,
    platform: str,
    announcement: str,
    humans: int,
    bots: int,
    days: dict[str, tuple[int, int]],
    campaign: str = "darkweb-2017",
) -> dict[str, object]:
    return {
        "campaign": campaign,
        "post_id": post,
        "platform": platform,
        "announcement": announcement,
        "humans": humans,
        "bots": bots,
        "days": {day: {"humans": h, "bots": b} for day, (h, b) in days.items()},
    }


ALL_ROWS = [
    row("post-b", "mastodon", "save_the_date", 1, 0, {"2017-09-20": (1, 0)}),
    row("post-a", "twitter", "save_the_date", 3, 2, {"2017-09-20": (2, 1), "2017-09-21": (1, 1)}),
    row("post-d", "bluesky", "thank_you", 2, 0, {"2017-09-22": (2, 0)}),
    row("post-c", "linkedin", "thank_you", 0, 0, {}, campaign="other-2018"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    with ledger_on(request.param, tmp_path) as opened:
        seed(opened.engine, LINKS)
        recorder = ClickRecorder(opened.engine)
        for at, code, agent in CLICKS:
            with time_machine.travel(datetime.fromisoformat(at).replace(tzinfo=UTC), tick=False):
                recorder.record(code, "https://t.co/x", agent)
        assert recorder.flush() == len(CLICKS)
        yield opened


def report(ledger: Ledger, *args: str) -> tuple[int, str]:
    url = ledger.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app, ["links", "report", *args], env={"CAMPAIGN_DATABASE_URL": url, "COLUMNS": "120"}
    )
    return result.exit_code, result.output


def test_json_rows_are_exact(ledger: Ledger) -> None:
    code, output = report(ledger, "--json")
    assert code == 0, output
    assert json.loads(output) == ALL_ROWS


def test_since_counts_from_that_utc_midnight(ledger: Ledger) -> None:
    code, output = report(ledger, "--json", "--since", "2017-09-21")
    assert code == 0, output
    assert json.loads(output) == [
        row("post-b", "mastodon", "save_the_date", 0, 0, {}),
        row("post-a", "twitter", "save_the_date", 1, 1, {"2017-09-21": (1, 1)}),
        ALL_ROWS[2],
        ALL_ROWS[3],
    ]


def test_one_campaign(ledger: Ledger) -> None:
    code, output = report(ledger, "--json", "--campaign", "other-2018")
    assert code == 0, output
    assert json.loads(output) == [ALL_ROWS[3]]


def test_a_campaign_the_ledger_does_not_hold_is_an_error_naming_those_it_does(
    ledger: Ledger,
) -> None:
    code, output = report(ledger, "--campaign", "darkweb-2071")
    assert code == 1
    assert "no campaign 'darkweb-2071'; it has:" in output
    assert "other-2018" in output


def table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_terminal_tables_with_bars(ledger: Ledger) -> None:
    code, output = report(ledger)
    assert code == 0, output
    assert "Clicks per post" in output
    assert "humans" in output  # the word the JSON uses
    lines = output.splitlines()
    days = {cells[0]: cells[1:] for cells in map(table_cells, lines) if cells}
    # the busiest day (4 clicks) has the full 30-cell bar: 3/4 people, 1/4 bots
    assert days["2017-09-20"] == ["3", "1", "█" * 22 + "░" * 8]
    assert days["2017-09-21"] == ["1", "1", "█" * 8 + "░" * 7]  # 2/4 of 30 cells in all
    assert days["2017-09-22"] == ["2", "0", "█" * 15]
    (twitter,) = [line for line in lines if "│ twitter " in line and "post-a" not in line]
    assert [cell.strip() for cell in twitter.split("│")[1:4]] == ["twitter", "3", "2"]
    (total,) = [line for line in lines if "total" in line]
    assert [cell.strip() for cell in total.split("│") if cell.strip()] == ["total", "6", "2"]


def test_png_chart(ledger: Ledger, tmp_path: Path) -> None:
    image = pytest.importorskip("matplotlib.image")
    target = tmp_path / "clicks.png"
    code, output = report(ledger, "--png", str(target))
    assert code == 0, output
    assert f"Chart written to {target}" in output.replace("\n", "")
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert image.imread(target).shape[:2] == (400, 1100)


def test_png_without_matplotlib_names_the_extra(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    code, output = report(ledger, "--png", str(tmp_path / "clicks.png"))
    assert code == 1
    assert "pip install 'campaign[charts]'" in output
    assert not (tmp_path / "clicks.png").exists()


def test_a_bad_date_is_a_usage_error(ledger: Ledger) -> None:
    code, output = report(ledger, "--since", "yesterday")
    assert code == 2
    assert "yesterday" in output


def test_an_empty_ledger_says_so(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        code, output = report(empty)
        assert code == 0
        assert "No short links in the ledger yet" in output
        code, output = report(empty, "--json")
        assert json.loads(output) == []
