"""``at`` resolution: relative offsets, ISO times, and the documented DST rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.records.timespec import check, resolve, wall_clock

AMS = ZoneInfo("Europe/Amsterdam")
STARTS = datetime(2017, 9, 26, 9, 0, tzinfo=AMS)
ENDS = datetime(2017, 9, 26, 17, 0, tzinfo=AMS)


@pytest.mark.parametrize(
    ("spec", "expected_local"),
    [
        ("-30d 10:00", datetime(2017, 8, 27, 10, 0)),
        ("-1d 09:00", datetime(2017, 9, 25, 9, 0)),
        ("0d 09:30", datetime(2017, 9, 26, 9, 30)),
        ("+1d 11:00", datetime(2017, 9, 27, 11, 0)),
        ("-1d", datetime(2017, 9, 25, 9, 0)),
        ("-2h", datetime(2017, 9, 26, 7, 0)),
        ("+90m", datetime(2017, 9, 26, 10, 30)),
        ("end+1d 10:00", datetime(2017, 9, 27, 10, 0)),
        ("end-30m", datetime(2017, 9, 26, 16, 30)),
        ("-2w 10:00", datetime(2017, 9, 12, 10, 0)),
        ("2017-09-20 12:00", datetime(2017, 9, 20, 12, 0)),
        ("2017-09-20T12:00:00+00:00", datetime(2017, 9, 20, 14, 0)),
    ],
)
def test_relative_and_absolute_times(spec: str, expected_local: datetime) -> None:
    resolved = resolve(check(spec), AMS, STARTS, ENDS)
    assert resolved.utc.tzinfo is UTC
    assert resolved.utc.astimezone(AMS).replace(tzinfo=None) == expected_local
    assert resolved.note == ""


def test_day_offsets_keep_wall_clock_across_the_autumn_change() -> None:
    starts = datetime(2025, 11, 3, 9, 0, tzinfo=AMS)  # CET, after clocks went back on 26 Oct
    before = resolve("-14d 10:00", AMS, starts, starts).utc  # 20 Oct, still CEST
    after = resolve("-1d 10:00", AMS, starts, starts).utc
    assert (before.hour, after.hour) == (8, 9)  # 10:00 CEST = 08:00Z, 10:00 CET = 09:00Z
    assert before.astimezone(AMS).hour == after.astimezone(AMS).hour == 10


def test_hour_offsets_are_exact_durations_across_the_spring_change() -> None:
    starts = datetime(2025, 3, 30, 4, 0, tzinfo=AMS)  # 04:00 CEST, two hours after the change
    resolved = resolve("-3h", AMS, starts, starts)
    assert (starts.astimezone(UTC) - resolved.utc).total_seconds() == 3 * 3600
    assert resolved.utc.astimezone(AMS).strftime("%H:%M %Z") == "00:00 CET"


def test_a_time_in_the_spring_gap_moves_forward_and_says_so() -> None:
    resolved = wall_clock(datetime(2025, 3, 30, 2, 30), AMS)
    assert resolved.utc == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert resolved.utc.astimezone(AMS).strftime("%H:%M %Z") == "03:30 CEST"
    assert "does not exist" in resolved.note
    assert "03:30 CEST" in resolved.note


def test_an_ambiguous_autumn_time_is_the_first_occurrence_and_says_so() -> None:
    resolved = wall_clock(datetime(2025, 10, 26, 2, 30), AMS)
    assert resolved.utc == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert "happens twice" in resolved.note
    assert "02:30 CEST" in resolved.note


@pytest.mark.parametrize("spec", ["-3x", "soon", "-1d 25:00", "-2h 10:00", "", "1d10"])
def test_bad_specs_say_how_to_write_one(spec: str) -> None:
    with pytest.raises(ValueError, match=r"use e\.g\."):
        check(spec)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)))
def test_wall_clock_round_trips_for_every_existing_local_time(naive: datetime) -> None:
    resolved = wall_clock(naive, AMS)
    local = resolved.utc.astimezone(AMS).replace(tzinfo=None)
    if not resolved.note:
        assert local == naive
    elif "happens twice" in resolved.note:
        assert local == naive
        assert resolved.utc.astimezone(AMS).dst()
    else:
        assert local - naive == timedelta(hours=1)
