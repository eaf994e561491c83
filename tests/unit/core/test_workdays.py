"""core.workdays: the Chinese working-day calendar (holidays, 调休 make-up days, overrides, Mon–Fri fallback)
and working-hour arithmetic, checked across 2026 National Day, the 2026 Spring Festival and the year 2031."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from core.db import Database
from core.models import WorkdayOverride
from core.workdays import Hours, WorkCalendar, calendar_from_db

SH = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """Shanghai wall time as aware UTC (the calendar's inputs and outputs are UTC)."""
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


CAL = WorkCalendar()


def test_2026_national_day_follows_chinese_calendar_data() -> None:
    # From the package's own data: the National Day break and its 调休 working weekend days.
    holidays = {d for d in chinese_calendar.constants.holidays if d.year == 2026 and d.month in (9, 10)}
    makeup = {d for d in chinese_calendar.constants.workdays if d.year == 2026 and d.month in (9, 10)}
    assert {date(2026, 10, d) for d in range(1, 8)} <= holidays
    assert makeup == {date(2026, 9, 20), date(2026, 10, 10)}
    for day in holidays:
        assert not CAL.is_workday(day)
    for day in makeup:
        assert day.weekday() >= 5 and CAL.is_workday(day)  # a Sunday and a Saturday that are working days
    # Hand-checked: Thu Oct 1 off, Thu Oct 8 back at work, Sat Oct 10 working, Sun Oct 11 off.
    assert not CAL.is_workday(date(2026, 10, 1))
    assert CAL.is_workday(date(2026, 10, 8))
    assert CAL.is_workday(date(2026, 10, 10))
    assert not CAL.is_workday(date(2026, 10, 11))


def test_2026_spring_festival() -> None:
    assert [d for d in (date(2026, 2, 15) + timedelta(n) for n in range(9)) if CAL.is_workday(d)] == []
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, 调休
    assert CAL.is_workday(date(2026, 2, 24))  # Tuesday after the break


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Wed Sep 30 10:00 + 1 working day: the whole National Day break is skipped -> Thu Oct 8 17:30
        (local(2026, 9, 30, 10), 1, local(2026, 10, 8, 17, 30)),
        # + 3: Oct 8, 9 and the 调休 Saturday Oct 10
        (local(2026, 9, 30, 10), 3, local(2026, 10, 10, 17, 30)),
        # + 5: Oct 8, 9, 10, 12, 13
        (local(2026, 9, 30, 10), 5, local(2026, 10, 13, 17, 30)),
        # received on a holiday: counting starts with the next working day
        (local(2026, 10, 3, 15), 1, local(2026, 10, 8, 17, 30)),
        # Sat Sep 19 (an ordinary weekend day) + 1: Sun Sep 20 is a 调休 working day
        (local(2026, 9, 19, 11), 1, local(2026, 9, 20, 17, 30)),
        # Fri Feb 13 + 2: Sat Feb 14 (调休), then Tue Feb 24 after the Spring Festival
        (local(2026, 2, 13, 16), 2, local(2026, 2, 24, 17, 30)),
        # + 7: Feb 14, 24, 25, 26, 27, 28 (调休), Mon Mar 2
        (local(2026, 2, 13, 16), 7, local(2026, 3, 2, 17, 30)),
        # received after close of business: the day of receipt never counts anyway
        (local(2026, 11, 20, 20), 1, local(2026, 11, 23, 17, 30)),
        # half a working day (3.5 h of a 7 h day) from Friday 10:00 -> 15:00 (lunch does not count)
        (local(2026, 11, 20, 10), 0.5, local(2026, 11, 20, 15, 0)),
    ],
)
def test_add_working_days(start: datetime, days: float, due: datetime) -> None:
    assert CAL.add_working_days(start, days) == due


@pytest.mark.parametrize(
    ("start", "hours", "end"),
    [
        (local(2026, 11, 20, 10), 1, local(2026, 11, 20, 11)),
        (local(2026, 11, 20, 11), 2, local(2026, 11, 20, 14, 30)),  # lunch 12:00-13:30 skipped
        (local(2026, 11, 20, 12, 30), 1, local(2026, 11, 20, 14, 30)),  # starting at lunch
        (local(2026, 11, 20, 16, 30), 1, local(2026, 11, 20, 17, 30)),  # lands on close: stays that day
        (local(2026, 11, 20, 16, 30), 2, local(2026, 11, 23, 10, 0)),  # Friday -> Monday
        (local(2026, 11, 20, 22), 1, local(2026, 11, 23, 10, 0)),  # after hours on a Friday
        (local(2026, 9, 30, 16, 30), 2, local(2026, 10, 8, 10, 0)),  # across National Day
        (local(2026, 10, 9, 17), 1, local(2026, 10, 10, 9, 30)),  # into the 调休 Saturday
        (local(2026, 11, 20, 10), 0, local(2026, 11, 20, 10)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, end: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == end


@pytest.mark.parametrize("hours", [0.25, 1, 3, 6.5, 7, 20, 49.5, 100])
@pytest.mark.parametrize(
    "start",
    [
        local(2026, 9, 28, 9, 15),
        local(2026, 9, 30, 12, 10),
        local(2026, 2, 12, 17, 0),
        local(2031, 12, 30, 8),
    ],
)
def test_working_time_between_inverts_add(start: datetime, hours: float) -> None:
    end = CAL.add_working_hours(start, hours)
    assert CAL.working_time_between(start, end) == timedelta(hours=hours)
    assert CAL.working_time_between(end, start) == -timedelta(hours=hours)


def test_working_time_between_counts_only_working_time() -> None:
    # Wed Sep 30 09:00 to Thu Oct 8 09:00: one full working day (7 h), nothing over the holiday.
    assert CAL.working_time_between(local(2026, 9, 30, 9), local(2026, 10, 8, 9)) == timedelta(hours=7)
    assert CAL.working_days_between(local(2026, 9, 30, 9), local(2026, 10, 9, 9)) == pytest.approx(2.0)
    assert CAL.day_length == timedelta(hours=7)


def test_results_are_aware_utc() -> None:
    result = CAL.add_working_days(datetime(2026, 9, 30, 2, tzinfo=UTC), 1)
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)
    naive = CAL.add_working_hours(datetime(2026, 11, 20, 2), 1)  # naive input is taken as UTC
    assert naive == datetime(2026, 11, 20, 3, tzinfo=UTC)


def test_fallback_year_2031_warns_once_and_uses_monday_to_friday(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="core.workdays"):
        assert cal.is_workday(date(2031, 1, 1))  # Wednesday: New Year is unknown without data
        assert not cal.is_workday(date(2031, 1, 4))  # Saturday
        assert cal.add_working_days(local(2031, 1, 3, 10), 1) == local(2031, 1, 6, 17, 30)
        WorkCalendar().is_workday(date(2031, 5, 1))
    warnings = [r for r in caplog.records if "2031" in r.getMessage()]
    assert len(warnings) <= 1  # once per process and year (0 if an earlier test warned already)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 1, 1))  # the package really does not know 2031


def test_fallback_warning_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="core.workdays"):
        WorkCalendar().is_workday(date(2033, 3, 3))
        WorkCalendar().is_workday(date(2033, 3, 4))
    assert len([r for r in caplog.records if "2033" in r.getMessage()]) == 1


def test_overrides_win() -> None:
    cal = WorkCalendar({date(2031, 1, 1): False, date(2026, 10, 11): True, date(2026, 11, 20): False})
    assert not cal.is_workday(date(2031, 1, 1))
    assert cal.is_workday(date(2026, 10, 11))  # an extra working Sunday
    assert not cal.is_workday(date(2026, 11, 20))  # a local holiday on a Friday
    assert cal.add_working_days(local(2026, 11, 19, 10), 1) == local(2026, 11, 23, 17, 30)


def test_custom_working_hours_without_lunch() -> None:
    cal = WorkCalendar(working_hours=Hours(time(8, 30), time(17, 0), None, None))
    assert cal.day_length == timedelta(hours=8, minutes=30)
    assert cal.add_working_hours(local(2026, 11, 20, 16), 2) == local(2026, 11, 23, 9, 30)
    assert Hours.from_mapping(Hours().to_mapping()) == Hours()


def test_overrides_from_database(db: Database) -> None:
    with db.session() as s:
        s.add(
            WorkdayOverride(
                day=date(2031, 10, 1),
                is_workday=False,
                note="国庆节",
                created_by="root",
                created_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )
    with db.session() as s:
        cal = calendar_from_db(s)
    assert not cal.is_workday(date(2031, 10, 1))
    assert cal.is_workday(date(2031, 10, 2))
