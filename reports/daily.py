"""The daily brief's data: yesterday's figures against the day before, new events, open alerts and timers.

Alerts and timers are judged at the day's end (24:00 local), like the weekly report judges at the week's.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from core.db import Database
from core.settings import AppConfig
from reports import queries as q
from reports.periods import Period
from reports.queries import Counted, EventDigest, OpenAlert, OverdueTask
from reports.weekly import Headline, headline, named_counts

logger = logging.getLogger(__name__)

MAX_EVENTS = 10
MAX_ALERTS = 15
MAX_OVERDUE = 15


@dataclass(frozen=True)
class TimerStatus:
    """Timers still running at the day's end: how many are past due, how many warn (黄灯), how many not."""

    overdue: int
    warning: int
    running: int

    @property
    def total(self) -> int:
        return self.overdue + self.warning + self.running


@dataclass(frozen=True)
class DailyData:
    period: Period
    office: str
    generated_at: datetime
    as_of: datetime
    current: Headline
    previous: Headline
    hours: list[int]  # items per local hour, 0..23
    hours_negative: list[int]
    topics: list[Counted]
    new_events: list[EventDigest]
    open_alerts: list[OpenAlert]
    open_alerts_by_level: dict[int, int]
    timers: TimerStatus
    overdue: list[OverdueTask]
    overdue_more: int

    @property
    def open_alerts_total(self) -> int:
        return sum(self.open_alerts_by_level.values())

    @property
    def is_empty(self) -> bool:
        c = self.current
        return (
            c.items_total == 0
            and c.alerts_total == 0
            and self.open_alerts_total == 0
            and self.timers.total == 0
        )


def collect_daily(db: Database, config: AppConfig, period: Period, generated_at: datetime) -> DailyData:
    previous = period.previous()
    bounds = q.hour_bounds(period.start, 24)
    as_of = min(period.end, generated_at)
    with db.session() as s:
        frame = q.item_counts(s, bounds)
        prev_frame = q.item_counts(s, previous.day_bounds())
        tasks = q.task_stats(s, period.start, as_of)
        prev_tasks = q.task_stats(s, previous.start, previous.end)
        current = headline(s, period, frame, tasks)
        prev_headline = headline(s, previous, prev_frame, prev_tasks)
        new_events = q.event_digests(s, period.start, as_of, limit=MAX_EVENTS, new_only=True)
        alerts, alerts_by_level = q.open_alerts(s, as_of, MAX_ALERTS)
        overdue, overdue_more = q.overdue_tasks(
            s, period.start, as_of, MAX_OVERDUE, total=current.tasks.overdue
        )
    hours = [0] * 24
    hours_negative = [0] * 24
    if not frame.empty:
        for slot, n in frame.groupby("slot")["n"].sum().items():
            hours[int(slot)] = int(n)
        negative = frame[frame["sentiment"] == "negative"].groupby("slot")["n"].sum()
        for slot, n in negative.items():
            hours_negative[int(slot)] = int(n)
    figures = current.tasks
    warning = int(tasks.counts["warning"].sum()) if not tasks.counts.empty else 0
    timers = TimerStatus(overdue=figures.overdue, warning=warning, running=figures.in_progress - warning)
    topics_now: Counter[str] = named_counts(frame, "topic", q.NO_TOPIC)
    topics_before: Counter[str] = named_counts(prev_frame, "topic", q.NO_TOPIC)
    data = DailyData(
        period=period,
        office=config.settings.office_name,
        generated_at=generated_at,
        as_of=as_of,
        current=current,
        previous=prev_headline,
        hours=hours,
        hours_negative=hours_negative,
        topics=q.counted(topics_now, topics_before, top=5),
        new_events=new_events,
        open_alerts=alerts,
        open_alerts_by_level=alerts_by_level,
        timers=timers,
        overdue=overdue,
        overdue_more=overdue_more,
    )
    logger.info("daily data %s: %d items, %d new events", period.slug, current.items_total, len(new_events))
    return data
