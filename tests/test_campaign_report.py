"""``campaign report``: posts, outcomes and clicks per campaign, event, announcement, platform
or post, as a table, JSON, CSV and one self-contained HTML file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert
from typer.testing import CliRunner

from campaign.cli import app
from campaign.results.report import COUNTS, ENGAGEMENT, POST_FIELDS, campaign_report
from campaign.results.report_html import html_report
from campaign.store.ledger import Ledger
from campaign.store.metrics import FIGURES, READ, UNAVAILABLE, Snapshot, record
from campaign.store.schema import ClickRow, ShortLinkRow
from campaign.store.states import FAILED, SENT
from tests.ledger_helpers import force_state
from tests.web_helpers import example_ledger, screenshot

CLICKED_AT = datetime(2017, 9, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A ledger with the example campaign: the live posts sent (X's clicked 3 times by people
    and once by a bot), the English Bluesky reminder failed."""
    address = f"sqlite:///{tmp_path / 'ledger.db'}"
    with example_ledger(address) as ledger:
        for post in ledger.list():
            if post.announcement == "live":
                force_state(
                    ledger,
                    post.id,
                    SENT,
                    remote_id=f"r-{post.platform}",
                    remote_url=f"https://{post.platform}.example/r",
                    sent_at=CLICKED_AT,
                )
            if (post.announcement, post.platform, post.language) == ("reminder", "bluesky", "en"):
                force_state(ledger, post.id, FAILED)
        live_x = next(
            p for p in ledger.list() if p.announcement == "live" and p.platform == "twitter"
        )
        with ledger.engine.begin() as connection:
            connection.execute(
                insert(ShortLinkRow).values(
                    code="a" * 16,
                    target="https://www.media4sec.eu/",
                    post_id=live_x.id,
                    platform="twitter",
                    campaign="darkweb-2017",
                    announcement="live",
                    created_at=CLICKED_AT,
                )
            )
            clicks = [(False, "browser")] * 3 + [(True, "crawler")]
            connection.execute(
                insert(ClickRow),
                [
                    {"code": "a" * 16, "at": CLICKED_AT, "agent_class": kind, "is_bot": bot}
                    for bot, kind in clicks
                ],
            )
    return address


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["report", *args], env={"CAMPAIGN_DATABASE_URL": url})
    return result.exit_code, result.output


def test_rows_per_platform_count_posts_outcomes_and_clicks(url: str) -> None:
    with Ledger.open(url) as ledger:
        report = campaign_report(ledger.engine, by="platform")
    rows = {row.key: row for row in report.rows}
    assert set(rows) == {"twitter", "linkedin", "mastodon", "bluesky"}
    assert (rows["twitter"].posts, rows["twitter"].sent, rows["twitter"].failed) == (7, 1, 0)
    assert (rows["twitter"].clicks_humans, rows["twitter"].clicks_bots) == (3, 1)
    assert (rows["bluesky"].sent, rows["bluesky"].failed) == (1, 1)
    assert rows["linkedin"].engagement == dict.fromkeys(ENGAGEMENT)  # nothing reported: null
    total = report.total
    assert (total.posts, total.sent, total.failed, total.clicks_humans) == (30, 4, 1, 3)


def test_json_and_csv_carry_the_same_fields(url: str) -> None:
    code, out = invoke(url, "--by", "post", "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert list(rows[0]) == ["post_id", *COUNTS, *POST_FIELDS[1:]]
    code, out = invoke(url, "--by", "post", "--csv")
    assert code == 0, out
    table = list(csv.DictReader(io.StringIO(out)))
    assert list(table[0]) == list(rows[0])
    assert len(table) == len(rows) == 30
    sent = [row for row in rows if row["sent"]]
    assert {row["remote_url"] for row in sent} >= {"https://twitter.example/r"}
    assert all(row["likes"] is None for row in rows)


def test_the_table_has_totals(url: str) -> None:
    code, out = invoke(url, "--by", "announcement")
    assert code == 0, out
    assert "Results by announcement" in out
    assert "total" in out
    assert "live" in out


def test_filters_and_their_mistakes(url: str) -> None:
    code, out = invoke(url, "--campaign", "darkweb-2017", "--event", "dark-web-2017", "--json")
    assert code == 0, out
    assert json.loads(out)[0]["posts"] == 30
    code, out = invoke(url, "--campaign", "darkweb-2071")
    assert code == 1
    assert "no campaign 'darkweb-2071'; it has: darkweb-2017" in out
    code, out = invoke(url, "--event", "dark-wb")
    assert code == 1
    assert "it has: dark-web-2017" in out
    code, out = invoke(url, "--by", "weather")
    assert code == 2
    code, out = invoke(url, "--since", "2017-09-26", "--json")
    assert json.loads(out)[0]["posts"] == 18  # the live posts and after


def reading(post_id: str, hours: int, outcome: str = READ, **figures: int) -> Snapshot:
    """A reading of ``post_id`` taken ``hours`` after the live posts went out."""
    return Snapshot(
        post_id,
        timedelta(hours=hours),
        CLICKED_AT + timedelta(hours=hours),
        outcome,
        {**dict.fromkeys(FIGURES), **figures},
    )


@pytest.fixture
def engaged(url: str) -> str:
    """The example ledger with readings: Mastodon's live post read twice (its latest counts),
    Bluesky's read once, X's live post gone from X (not available)."""
    with Ledger.open(url) as ledger:
        live = {p.platform: p.id for p in ledger.list() if p.announcement == "live"}
        record(
            ledger.engine,
            [
                reading(live["mastodon"], 1, likes=2, reposts=1, replies=0),
                reading(live["bluesky"], 1, likes=40, reposts=9, replies=4, quotes=2),
                reading(live["twitter"], 1, UNAVAILABLE),
                reading(live["mastodon"], 24, likes=7, reposts=3, replies=1),
            ],
        )
    return url


def test_engagement_is_each_posts_latest_reading_and_null_where_unknown(engaged: str) -> None:
    code, out = invoke(engaged, "--by", "post", "--json")
    assert code == 0, out
    rows = {(r["platform"], r["announcement"]): r for r in json.loads(out)}
    toot = rows[("mastodon", "live")]
    assert (toot["likes"], toot["reposts"], toot["replies"], toot["quotes"]) == (7, 3, 1, None)
    assert toot["impressions"] is None  # Mastodon counts no views
    assert toot["metrics_at"] == (CLICKED_AT + timedelta(hours=24)).isoformat()
    assert rows[("twitter", "live")]["likes"] is None  # not available: no figures
    assert rows[("twitter", "live")]["metrics_at"] is None
    code, out = invoke(engaged, "--by", "announcement", "--json")
    live = next(r for r in json.loads(out) if r["announcement"] == "live")
    assert (live["likes"], live["reposts"], live["quotes"], live["impressions"]) == (
        47,
        12,
        2,
        None,
    )
    code, out = invoke(engaged, "--by", "platform")
    assert " 47 " in out  # the likes column, shown once some platform reported some
    assert "No engagement" not in out


def test_the_best_posts_rank_by_clicks_and_engagement_together(engaged: str) -> None:
    with Ledger.open(engaged) as ledger:
        page = html_report(ledger.engine)
    best = page[page.index('id="best"') :]
    order = [best.index(f"https://{name}.example/r") for name in ("bluesky", "mastodon", "twitter")]
    assert order == sorted(order)  # 55 interactions, then 11, then 3 clicks
    assert "<td>40</td>" in best


class _Text(HTMLParser):
    """The text and the external references of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.sources: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img", "link", "iframe") or found.get("src"):
            self.sources.append(tag)
        if found.get("id"):
            self.ids.append(str(found["id"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_report_is_self_contained_with_summaries_and_funding(
    url: str, tmp_path: Path
) -> None:
    funding = "Medi@4sec has received funding from the EU's Horizon 2020 programme (700281)."
    with Ledger.open(url) as ledger:
        page = html_report(ledger.engine, funding={"darkweb-2017": funding})
    parsed = _Text()
    parsed.feed(page)
    text = " ".join(parsed.text)
    assert parsed.sources == []  # no script, image, stylesheet or frame from anywhere
    assert {"by-campaign", "by-event", "by-platform", "best"} <= set(parsed.ids)
    assert funding in text
    assert page.count("<svg") == 3
    assert "https://twitter.example/r" in page  # the best post links to where it went out
    code, out = invoke(url, "--html", str(tmp_path / "report.html"))
    assert code == 0, out
    written = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert written.startswith("<!doctype html>")
    # The example's vars.funding, read from the campaign file the ledger names as the source.
    assert "grant agreement No 700281" in written


def test_the_html_report_renders_in_a_browser(url: str, tmp_path: Path, page: Page) -> None:
    target = tmp_path / "report.html"
    with Ledger.open(url) as ledger:
        target.write_text(html_report(ledger.engine, funding={"darkweb-2017": "EU funded."}))
    page.goto(target.as_uri())
    expect(page.get_by_role("heading", name="Per platform")).to_be_visible()
    expect(page.get_by_role("img", name="Clicks by people, per platform")).to_be_visible()
    expect(page.locator(".funding")).to_have_text("EU funded.")
    assert screenshot(page, "campaign-report", tmp_path).stat().st_size > 10_000
