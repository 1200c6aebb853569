"""Bad input: each gives a clear message naming file and line, a non-zero exit, and no posts."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.store import Ledger
from tests.fakes.x_fixtures import png_bytes
from tests.planfiles import EVENT, campaign_data, write_project

runner = CliRunner()


def _run(*args: str) -> Any:
    return runner.invoke(app, [*args], catch_exceptions=False)


def _announce(**fields: Any) -> dict[str, Any]:
    return campaign_data(announcements=[{"template": "hello", "at": "-1d 10:00", **fields}])


CASES: list[tuple[str, Any, dict[str, str] | None, str, int | None]] = [
    # (name, campaign data or raw text, templates, expected message part, expected line)
    (
        "malformed yaml",
        "campaign: x\nannouncements:\n  - template: a\n   at: [\n",
        None,
        "malformed YAML",
        4,
    ),
    ("unknown field", campaign_data(colour="blue"), None, "colour: unknown field", 25),
    ("typo field hint", _announce(platfroms=["twitter"]), None, "did you mean `platforms`", None),
    (
        "missing field",
        {k: v for k, v in campaign_data().items() if k != "site"},
        None,
        "site: this required field is missing",
        None,
    ),
    ("unknown template", _announce(template="nope"), None, "template 'nope' not found", None),
    ("undefined variable", None, {"hello.j2": "Hi {{ event.speakerz }}"}, "undefined variable", 1),
    (
        "syntax error",
        None,
        {"hello.j2": "line one\nHi {{ event.title }"},
        "template syntax error",
        2,
    ),
    (
        "sandbox escape",
        None,
        {"hello.j2": "{{ event.__class__.__mro__ }}"},
        "not allowed in templates",
        1,
    ),
    (
        "sandbox escape via method",
        None,
        {"hello.j2": "{{ ''.__class__.__subclasses__() }}"},
        "not allowed in templates",
        1,
    ),
    ("bad time zone", campaign_data(timezone="Europe/Amsterdm"), None, "not a known time zone", 2),
    (
        "bad event time zone",
        campaign_data(event={**EVENT, "timezone": "Mars/Olympus"}),
        None,
        "event.timezone",
        None,
    ),
    ("bad at", _announce(at="-3x"), None, "'-3x' is not a valid time", None),
    ("over the limit", None, {"hello.j2": "x" * 281}, "1 over X (Twitter)'s limit of 280", None),
    (
        "media missing",
        _announce(media=[{"path": "media/none.png", "alt": "a"}]),
        None,
        "does not exist",
        None,
    ),
    (
        "media without alt",
        _announce(media=[{"path": "media/none.png"}]),
        None,
        "media[0].alt: this required field is missing",
        None,
    ),
    ("empty campaign", campaign_data(announcements=[]), None, "has no announcements", None),
    (
        "unknown platform",
        campaign_data(platforms=["myspace"]),
        None,
        "unknown platform 'myspace'",
        None,
    ),
    (
        "event ends before start",
        campaign_data(event={**EVENT, "ends": "2017-09-25 10:00"}),
        None,
        "ends",
        None,
    ),
    ("empty thread part", None, {"hello.j2": "one\n---\n\n---\nthree"}, "empty post part", None),
]


@pytest.mark.parametrize(
    ("data", "templates", "expected", "line"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
@pytest.mark.parametrize("command", ["validate", "preview"])
def test_bad_input_is_reported_with_file_and_line(
    tmp_path: Path,
    command: str,
    data: Any,
    templates: dict[str, str] | None,
    expected: str,
    line: int | None,
) -> None:
    path = write_project(tmp_path, data, templates)
    result = _run(command, str(path))
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert re.search(r"error: \S+:\d+", result.output), "every problem names file:line"
    if line is not None:
        assert re.search(rf"error: \S+:{line}\b", result.output), result.output
    assert "nothing was changed" in result.output


def test_media_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    path = write_project(tmp_path, _announce(media=[{"path": "media/x.png", "alt": "a banner"}]))
    (path.parent / "media").mkdir()
    (path.parent / "media" / "x.png").write_text("not really a picture")
    result = _run("validate", str(path))
    assert result.exit_code == 1
    assert "is not a PNG, JPEG, GIF or WebP image" in result.output


def test_truncated_image_is_refused(tmp_path: Path) -> None:
    path = write_project(tmp_path, _announce(media=[{"path": "media/x.png", "alt": "a banner"}]))
    (path.parent / "media").mkdir()
    good = (Path(__file__).parents[1] / "schedules" / "media" / "darkweb-workshop.png").read_bytes()
    (path.parent / "media" / "x.png").write_bytes(good[: len(good) // 2])
    result = _run("validate", str(path))
    assert result.exit_code == 1
    assert "broken image/png file" in result.output


def test_csv_record_with_bad_date_names_its_row(tmp_path: Path) -> None:
    path = write_project(tmp_path, campaign_data(event=None, events="events.csv"))
    (path.parent / "events.csv").write_text(
        "id,title,starts,ends,timezone,venue,city,organiser,url,hashtags\n"
        "a,A,2017-09-26 09:00,2017-09-26 17:00,Europe/Amsterdam,TNO,The Hague,TNO,https://x.eu/,X\n"
        "b,B,26/09/2017,2017-09-26 17:00,Europe/Amsterdam,TNO,The Hague,TNO,https://x.eu/,X\n"
    )
    result = _run("validate", str(path))
    assert result.exit_code == 1
    assert "events.csv:3: starts:" in result.output
    assert "write it as YYYY-MM-DD HH:MM" in result.output


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = campaign_data(
        announcements=[
            {"template": "hello", "at": "soon"},
            {"template": "hello", "at": "-1d 10:00", "key": "b", "colour": "red"},
        ]
    )
    result = _run("validate", str(write_project(tmp_path, data)))
    assert result.exit_code == 1
    assert "announcements[0].at" in result.output
    assert "announcements[1].colour" in result.output
    assert "2 problems found" in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _run("preview", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "file not found" in result.output


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _run("preview", "--colour", str(write_project(tmp_path)))
    assert result.exit_code == 2


def test_unknown_platform_filter_is_a_usage_error(tmp_path: Path) -> None:
    result = _run("preview", "--platform", "myspace", str(write_project(tmp_path)))
    assert result.exit_code == 2
    assert "unknown platform" in result.output


def _padded_png(size: int) -> bytes:
    """A complete PNG of at least ``size`` bytes (the padding is a private ancillary chunk)."""
    png = png_bytes()
    padding = b"\x00" * size
    chunk = struct.pack(">I", len(padding)) + b"prVt" + padding
    chunk += struct.pack(">I", zlib.crc32(b"prVt" + padding))
    return png[:33] + chunk + png[33:]


@pytest.mark.parametrize(
    ("platform", "images", "expected"),
    [
        (
            "bluesky",
            [("big.png", _padded_png(1_100_000), "a banner")],
            "big.png is 1,100,",
        ),
        (
            "twitter",
            [("banner.png", png_bytes(), "x" * 1001)],
            "banner.png has 1001 characters; X takes at most 1000",
        ),
        (
            "linkedin",
            [("a.png", png_bytes(), "one"), ("b.png", png_bytes(), "two")],
            "LinkedIn takes at most 1 image per post; this post has 2",
        ),
    ],
)
def test_an_image_the_platform_would_refuse_stops_schedule_before_anything_is_queued(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    images: list[tuple[str, bytes, str]],
    expected: str,
) -> None:
    media = [{"path": f"media/{name}", "alt": alt} for name, _, alt in images]
    path = write_project(tmp_path, _announce(media=media, platforms=[platform]))
    (path.parent / "media").mkdir()
    for name, data, _ in images:
        (path.parent / "media" / name).write_bytes(data)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", url)
    result = _run("schedule", str(path))
    assert result.exit_code == 1, result.output
    assert expected in " ".join(result.output.split())
    assert re.search(r"error: \S+:\d+: announcements\[0\]\.media:", result.output), result.output
    with Ledger.open(url) as ledger:
        assert ledger.list() == []
