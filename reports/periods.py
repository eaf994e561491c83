"""Report periods: a Monday-to-Sunday week or one day in Asia/Shanghai, as aware UTC bounds.

Reports are about local calendar days (the office works in Beijing time) while everything is stored in UTC,
so a period carries both: the local days for labels and the UTC instants for queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.clock import SHANGHAI, ensure_utc, to_local

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def local_midnight(day: date) -> datetime:
    """00:00 of a local (Asia/Shanghai) day, as aware UTC."""
    return ensure_utc(datetime.combine(day, time(0, 0), tzinfo=SHANGHAI))


@dataclass(frozen=True)
class Period:
    kind: str  # weekly | daily
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Exclusive end: local midnight after the last day."""
        return local_midnight(self.last_day + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]

    def day_bounds(self) -> list[datetime]:
        """UTC instants of every local midnight from the first day to the day after the last."""
        return [local_midnight(d) for d in [*self.days, self.last_day + timedelta(days=1)]]

    def previous(self) -> Period:
        length = len(self.days)
        return Period(
            self.kind, self.first_day - timedelta(days=length), self.last_day - timedelta(days=length)
        )

    @property
    def slug(self) -> str:
        """File-name part: 2026-W47 for a week, 2026-11-20 for a day."""
        if self.kind == "weekly":
            year, week, _ = self.first_day.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first_day.isoformat()

    @property
    def label(self) -> str:
        """E.g. 2026年第47周（11月16日—11月22日） or 2026年11月20日（周五）."""
        if self.kind == "weekly":
            year, week, _ = self.first_day.isocalendar()
            return f"{year}年第{week}周（{cn_date(self.first_day, year=False)}—{cn_date(self.last_day, year=False)}）"
        return f"{cn_date(self.first_day)}（{WEEKDAYS[self.first_day.weekday()]}）"

    @property
    def span_text(self) -> str:
        """E.g. 2026年11月16日至22日 / 2026年11月20日."""
        if self.first_day == self.last_day:
            return cn_date(self.first_day)
        if self.first_day.year != self.last_day.year:
            return f"{cn_date(self.first_day)}至{cn_date(self.last_day)}"
        if self.first_day.month != self.last_day.month:
            return f"{cn_date(self.first_day)}至{cn_date(self.last_day, year=False)}"
        return f"{cn_date(self.first_day)}至{self.last_day.day}日"


def cn_date(day: date, *, year: bool = True) -> str:
    text = f"{day.month}月{day.day}日"
    return f"{day.year}年{text}" if year else text


def week_of(day: date) -> Period:
    """The Monday-to-Sunday week that contains `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period("weekly", monday, monday + timedelta(days=6))


def parse_week(text: str) -> Period:
    """'2026-W47' (ISO week) or a date inside the week ('2026-11-18')."""
    text = text.strip()
    match = _ISO_WEEK.match(text)
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise ValueError(f"no ISO week {text!r}") from exc
        return week_of(monday)
    try:
        return week_of(date.fromisoformat(text))
    except ValueError:
        raise ValueError(f"not a week: {text!r} (use e.g. 2026-W47 or a date such as 2026-11-18)") from None


def last_full_week(now: datetime) -> Period:
    """The most recent week that has ended by `now` (on Monday morning: the week that just ended)."""
    today = to_local(now).date()
    return week_of(today - timedelta(days=7))


def day_period(day: date) -> Period:
    return Period("daily", day, day)


def yesterday(now: datetime) -> Period:
    return day_period(to_local(now).date() - timedelta(days=1))


def period_for(kind: str, first_day: date) -> Period:
    """The period of `kind` that contains `first_day` (a weekly period snaps to its Monday)."""
    if kind == "weekly":
        return week_of(first_day)
    if kind == "daily":
        return day_period(first_day)
    raise ValueError(f"unknown report kind {kind!r}; use weekly or daily")
