"""The Chinese working-day calendar: public holidays and 调休 make-up working days (chinese_calendar),
administrators' overrides (workday_overrides) and a Monday–Friday fallback for years the package does not
know. Inputs and outputs are aware UTC; the day and working-hour logic runs in Asia/Shanghai.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import SHANGHAI, ensure_utc
from core.models import WorkdayOverride

logger = logging.getLogger(__name__)

# Years for which chinese_calendar raised NotImplementedError; warned about once per process and year.
_warned_years: set[int] = set()
_warned_lock = threading.Lock()

# No deadline is ever further out than this many days: a guard against looping on a broken override table
# that declares every day a holiday.
_MAX_SCAN_DAYS = 3660


class HoursLike(Protocol):
    """What the calendar needs of core.settings.WorkingHours (kept structural so tests can pass plain data)."""

    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...
    @property
    def lunch_start(self) -> time | None: ...
    @property
    def lunch_end(self) -> time | None: ...


@dataclass(frozen=True)
class Hours:
    """Plain working hours; core.settings.WorkingHours has the same shape."""

    start: time = time(9, 0)
    end: time = time(17, 30)
    lunch_start: time | None = time(12, 0)
    lunch_end: time | None = time(13, 30)

    @classmethod
    def from_mapping(cls, data: Mapping[str, str | None]) -> Hours:
        """From the JSON copy kept in response_tasks.limit_spec ('09:00' strings)."""

        def parse(value: str | None) -> time | None:
            return time.fromisoformat(value) if value else None

        start = parse(data.get("start")) or time(9, 0)
        end = parse(data.get("end")) or time(17, 30)
        return cls(start, end, parse(data.get("lunch_start")), parse(data.get("lunch_end")))

    def to_mapping(self) -> dict[str, str | None]:
        return hours_to_mapping(self)


def hours_to_mapping(hours: HoursLike) -> dict[str, str | None]:
    def fmt(value: time | None) -> str | None:
        return value.strftime("%H:%M") if value else None

    return {
        "start": fmt(hours.start),
        "end": fmt(hours.end),
        "lunch_start": fmt(hours.lunch_start),
        "lunch_end": fmt(hours.lunch_end),
    }


def _package_says(day: date) -> bool | None:
    """chinese_calendar's verdict, or None for a year it has no data for."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        with _warned_lock:
            first = day.year not in _warned_years
            _warned_years.add(day.year)
        if first:
            logger.warning(
                "chinese_calendar has no holiday data for %d; using Monday–Friday plus the admin overrides "
                "(add the year's holidays in workday_overrides or upgrade chinesecalendar)",
                day.year,
            )
        return None


class WorkCalendar:
    """Working days and working hours. Overrides win over chinese_calendar, which wins over Mon–Fri."""

    def __init__(
        self, overrides: Mapping[date, bool] | None = None, working_hours: HoursLike | None = None
    ) -> None:
        self.overrides: dict[date, bool] = dict(overrides or {})
        hours = working_hours or Hours()
        self.hours = Hours(hours.start, hours.end, hours.lunch_start, hours.lunch_end)
        if self.hours.end <= self.hours.start:
            raise ValueError("working hours end before they start")
        self._cache: dict[date, bool] = {}

    # --- days ------------------------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.overrides:
            result = self.overrides[day]
        else:
            verdict = _package_says(day)
            result = verdict if verdict is not None else day.weekday() < 5
        self._cache[day] = result
        return result

    def is_holiday(self, day: date) -> bool:
        return not self.is_workday(day)

    def next_workday(self, day: date, *, include: bool = False) -> date:
        current = day if include else day + timedelta(days=1)
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_workday(current):
                return current
            current += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {day}")

    # --- working intervals -----------------------------------------------------------------------------------

    def _day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of `day` as aware Shanghai datetimes (empty on a day off)."""
        if not self.is_workday(day):
            return []
        h = self.hours

        def at(t: time) -> datetime:
            return datetime.combine(day, t, tzinfo=SHANGHAI)

        if h.lunch_start and h.lunch_end and h.start < h.lunch_start < h.lunch_end < h.end:
            return [(at(h.start), at(h.lunch_start)), (at(h.lunch_end), at(h.end))]
        return [(at(h.start), at(h.end))]

    def _intervals_from(self, start_day: date) -> Iterator[tuple[datetime, datetime]]:
        day = start_day
        for _ in range(_MAX_SCAN_DAYS):
            yield from self._day_intervals(day)
            day += timedelta(days=1)
        raise ValueError(f"no working time within {_MAX_SCAN_DAYS} days after {start_day}")

    @property
    def day_length(self) -> timedelta:
        """Working time in one full working day (lunch excluded)."""
        h = self.hours
        total = datetime.combine(date.min, h.end) - datetime.combine(date.min, h.start)
        if h.lunch_start and h.lunch_end and h.start < h.lunch_start < h.lunch_end < h.end:
            total -= datetime.combine(date.min, h.lunch_end) - datetime.combine(date.min, h.lunch_start)
        return total

    def end_of_working_day(self, day: date) -> datetime:
        """The close of business of `day` (aware UTC), whether or not it is a working day."""
        return datetime.combine(day, self.hours.end, tzinfo=SHANGHAI).astimezone(
            ensure_utc(datetime.min).tzinfo
        )

    # --- arithmetic ------------------------------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment when `hours` of working time have passed since `start` (aware UTC).

        Time outside working hours, at lunch and on days off does not count. Landing exactly on the end of
        a working interval returns that end (17:30), not the next morning.
        """
        need = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if need < timedelta(0):
            raise ValueError("hours must not be negative")
        local = ensure_utc(start).astimezone(SHANGHAI)
        if need == timedelta(0):
            return ensure_utc(start)
        for begin, end in self._intervals_from(local.date()):
            if end <= local:
                continue
            begin = max(begin, local)
            available = end - begin
            if need <= available:
                return ensure_utc(begin + need)
            need -= available
        raise AssertionError("unreachable")  # _intervals_from raises first

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """Deadline of `days` working days from `start` (aware UTC).

        The day of receipt does not count (受理次日起算): the limit ends at close of business on the
        `days`-th working day after the start day. A fractional part adds that share of a working day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        whole = math.floor(days)
        fraction = days - whole
        local_day = ensure_utc(start).astimezone(SHANGHAI).date()
        if whole == 0:
            return self.add_working_hours(start, self.day_length * fraction)
        day = local_day
        for _ in range(whole):
            day = self.next_workday(day)
        deadline = datetime.combine(day, self.hours.end, tzinfo=SHANGHAI)
        result = ensure_utc(deadline)
        if fraction:
            result = self.add_working_hours(result, self.day_length * fraction)
        return result

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b` (negative when b is before a)."""
        a, b = ensure_utc(a), ensure_utc(b)
        if b < a:
            return -self.working_time_between(b, a)
        local_a = a.astimezone(SHANGHAI)
        local_b = b.astimezone(SHANGHAI)
        total = timedelta(0)
        day = local_a.date()
        while day <= local_b.date():
            for begin, end in self._day_intervals(day):
                lo, hi = max(begin, local_a), min(end, local_b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def working_days_between(self, a: datetime, b: datetime) -> float:
        """Working time from `a` to `b` in working days (fractional)."""
        return self.working_time_between(a, b) / self.day_length


def load_overrides(session: Session) -> dict[date, bool]:
    """The administrators' corrections from workday_overrides."""
    rows = session.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday)).all()
    return {day: bool(flag) for day, flag in rows}


def calendar_from_db(session: Session, working_hours: HoursLike | None = None) -> WorkCalendar:
    return WorkCalendar(load_overrides(session), working_hours)
