"""Report periods: Monday-to-Sunday weeks and days in Asia/Shanghai, as UTC bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reports.periods import day_period, last_full_week, parse_week, period_for, week_of, yesterday


def test_iso_week_is_monday_to_sunday_local_with_utc_bounds() -> None:
    week = parse_week("2026-W47")
    assert (week.first_day, week.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    # local midnight is 16:00 UTC the day before
    assert week.start == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert len(week.day_bounds()) == 8
    assert week.slug == "2026-W47"
    assert week.label == "2026年第47周（11月16日—11月22日）"
    assert week.span_text == "2026年11月16日至22日"
    assert week.previous() == parse_week("2026-W46")


@pytest.mark.parametrize(
    ("text", "monday"),
    [("2026-W47", date(2026, 11, 16)), ("2026w01", date(2025, 12, 29)), ("2026-11-22", date(2026, 11, 16))],
)
def test_parse_week_accepts_iso_weeks_and_dates(text: str, monday: date) -> None:
    assert parse_week(text).first_day == monday


@pytest.mark.parametrize("text", ["2026-W54", "last week", "2026-13-01"])
def test_parse_week_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_week(text)


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (
            datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
            date(2026, 11, 16),
        ),  # Monday 08:30 local: the week just ended
        (datetime(2026, 11, 22, 15, 59, tzinfo=UTC), date(2026, 11, 9)),  # Sunday 23:59 local: W47 not over
        (datetime(2026, 11, 22, 16, 0, tzinfo=UTC), date(2026, 11, 16)),  # Monday 00:00 local
    ],
)
def test_last_full_week_is_the_last_week_that_has_ended_locally(now: datetime, monday: date) -> None:
    assert last_full_week(now).first_day == monday


def test_yesterday_is_the_local_day_before() -> None:
    # 2026-11-20 23:30 UTC is already Saturday 21 Nov 07:30 in Shanghai
    assert yesterday(datetime(2026, 11, 20, 23, 30, tzinfo=UTC)).first_day == date(2026, 11, 20)
    day = day_period(date(2026, 11, 20))
    assert day.start == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    assert day.slug == "2026-11-20"
    assert day.label == "2026年11月20日（周五）"


def test_period_for_snaps_weekly_to_monday_and_rejects_unknown_kinds() -> None:
    assert period_for("weekly", date(2026, 11, 19)) == week_of(date(2026, 11, 16))
    assert period_for("daily", date(2026, 11, 19)).first_day == date(2026, 11, 19)
    with pytest.raises(ValueError):
        period_for("monthly", date(2026, 11, 19))
