"""The publishing plan as iCalendar (RFC 5545): ``campaign export --ics`` and the feed's body,
checked with the ``icalendar`` parser and by the format's own rules (lines of at most 75
octets ending in CRLF, escaped text)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from typer.testing import CliRunner

from campaign.cli import app
from campaign.render.planner import plan_files
from campaign.store.ledger import Ledger
from campaign.store.states import SENT
from campaign.web import data
from campaign.web.feed import calendar_feed
from campaign.web.model import from_ledger
from tests.ledger_helpers import force_state
from tests.web_helpers import EXAMPLE, NOW, example_ledger


def feed_of(ledger: Ledger) -> bytes:
    return calendar_feed(from_ledger(data.ledger_posts(ledger.engine, data.Filters())), NOW)


def events(body: bytes) -> dict[str, dict[str, object]]:
    parsed = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def test_one_event_per_post_with_a_thread_inside_one_event(tmp_path: Path) -> None:
    with example_ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        posts = ledger.list()
        found = events(feed_of(ledger))
    firsts = {post.root_id for post in posts}
    assert set(found) == firsts
    assert len(found) == 24
    x_thanks = next(p for p in posts if p.platform == "twitter" and p.announcement == "thank_you")
    description = str(found[x_thanks.root_id]["DESCRIPTION"])
    assert description.count("\n---\n") == 2
    assert str(found[x_thanks.root_id]["SUMMARY"]) == "X (Twitter) · thank_you · dark-web-2017 · en"
    assert [str(c) for c in found[x_thanks.root_id]["CATEGORIES"].cats] == ["twitter"]


def test_times_are_utc_and_texts_are_folded_and_escaped(tmp_path: Path) -> None:
    with example_ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        body = feed_of(ledger)
        live = next(p for p in ledger.list() if p.announcement == "live")
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in body.replace(b"\r\n", b"")
    start = live.scheduled_at.strftime("%Y%m%dT%H%M%SZ").encode()
    assert b"DTSTART:" + start in body
    unfolded = body.replace(b"\r\n ", b"")
    assert b"Dark Web workshop\\, 26 September 2017" in unfolded  # commas escaped


def test_state_and_changes_show_in_the_feed(tmp_path: Path) -> None:
    with example_ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        first, second, *_ = [p for p in ledger.list() if p.thread_size == 1]
        before = events(feed_of(ledger))
        ledger.cancel(first.id, now=NOW + timedelta(hours=1))
        force_state(ledger, second.id, SENT, remote_url="https://bsky.app/x", remote_id="x")
        posts = plan_files([EXAMPLE])
        changed = [
            dataclasses.replace(p, text=p.text + " (updated)")
            if p.id == ledger.list()[-1].id
            else p
            for p in posts
        ]
        ledger.sync(changed, now=NOW + timedelta(days=1))
        after = events(feed_of(ledger))
        last = ledger.list()[-1]
    assert str(after[first.id]["STATUS"]) == "CANCELLED"
    assert str(after[second.root_id]["SUMMARY"]).endswith("(sent)")
    assert str(after[second.root_id]["URL"]) == "https://bsky.app/x"
    assert int(after[last.root_id]["SEQUENCE"]) > int(before[last.root_id]["SEQUENCE"])
    assert after[last.root_id]["LAST-MODIFIED"].dt > before[last.root_id]["LAST-MODIFIED"].dt


def test_export_writes_the_calendar_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    example_ledger(url).close()
    target = tmp_path / "plan.ics"
    result = CliRunner().invoke(
        app,
        ["export", "--ics", str(target), "--campaign", "darkweb-2017"],
        env={"CAMPAIGN_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 24 posts" in result.output
    assert len(events(target.read_bytes())) == 24
    result = CliRunner().invoke(
        app,
        ["export", "--ics", str(target), "--campaign", "nothing-like-it"],
        env={"CAMPAIGN_DATABASE_URL": url},
    )
    assert "Wrote 0 posts" in result.output
