"""The weekly report's data: every figure of a Monday-to-Sunday week and of the week before, in one session.

`collect_weekly` returns a frozen WeeklyData; text, charts and both renderers work from it alone, so the
Word file and the HTML mail can never disagree. Unanswered timers and open alerts are judged at the week's
end (Sunday 24:00 local), so a report rebuilt later says the same thing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import ensure_utc
from core.db import Database
from core.models import Burst, Event, Item, ItemAnalysis
from core.settings import AppConfig
from reports import queries as q
from reports.periods import Period
from reports.queries import Counted, EventDigest, OverdueTask, TaskFigures

logger = logging.getLogger(__name__)

KINDS = ("hotline", "board", "news")
SENTIMENTS = ("negative", "neutral", "positive")
TOP_EVENTS = 8
MAX_BURSTS = 8
MAX_OVERDUE = 20
# A topic is "rising at the end of the week" when its daily average over Saturday and Sunday is this many
# times its average over Monday to Friday, with at least RISING_MIN items over the weekend.
RISING_RATIO = 1.5
RISING_MIN = 5


@dataclass(frozen=True)
class Headline:
    items_by_kind: dict[str, int]
    sentiment: dict[str, int]  # negative / neutral / positive / unanalyzed
    alerts_by_level: dict[int, int]
    events_new: int
    events_active: int
    tasks: TaskFigures

    @property
    def items_total(self) -> int:
        return sum(self.items_by_kind.values())

    @property
    def analyzed(self) -> int:
        return sum(self.sentiment.get(s, 0) for s in SENTIMENTS)

    @property
    def negative_share(self) -> float | None:
        return self.sentiment.get("negative", 0) / self.analyzed if self.analyzed else None

    @property
    def alerts_total(self) -> int:
        return sum(self.alerts_by_level.values())


@dataclass(frozen=True)
class DayFigures:
    day: date
    total: int
    sentiment: dict[str, int]
    levels: dict[int, int]  # items per risk level 1..4 (IV..I)


@dataclass(frozen=True)
class BurstEpisode:
    """Consecutive burst buckets of one topic and region, and what followed them."""

    topic: str
    region: str
    start: datetime
    end: datetime
    buckets: int
    total: int  # items in the burst buckets
    peak_count: int
    peak_bucket_minutes: int
    peak_baseline: float
    max_score: float
    event_title: str
    after_count: int  # items of the same topic and region in the window after the burst
    after_hours: float  # length of that window (cut at the week's end)


@dataclass(frozen=True)
class DepartmentRow:
    name: str
    on_time: int
    late: int
    overdue: int
    in_progress: int
    median_hours: float | None

    @property
    def judged(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


@dataclass(frozen=True)
class SchemeRow:
    name: str
    hits: int
    negative: int
    previous: int
    top_terms: list[str]
    always_alert: bool


@dataclass(frozen=True)
class Rising:
    name: str
    kind: str  # topic | tag
    early_daily: float  # average per day Monday..Friday
    late_daily: float  # average per day Saturday..Sunday
    late_count: int


@dataclass(frozen=True)
class WeeklyData:
    period: Period
    office: str
    generated_at: datetime
    as_of: datetime  # timers and alerts are judged here: the week's end, or now for a week still running
    current: Headline
    previous: Headline
    days: list[DayFigures]
    topics: list[Counted]
    tags: list[Counted]
    regions: list[Counted]
    events: list[EventDigest]
    bursts: list[BurstEpisode]
    departments: list[DepartmentRow]
    overdue: list[OverdueTask]
    overdue_more: int
    schemes: list[SchemeRow]
    rising: list[Rising]

    @property
    def is_empty(self) -> bool:
        """Nothing happened: no items, alerts, events or timers in the week."""
        c = self.current
        return (
            c.items_total == 0
            and c.alerts_total == 0
            and c.events_active == 0
            and c.tasks.judged + c.tasks.in_progress == 0
        )


def collect_weekly(db: Database, config: AppConfig, period: Period, generated_at: datetime) -> WeeklyData:
    previous = period.previous()
    as_of = min(period.end, generated_at)
    with db.session() as s:
        frame = q.item_counts(s, period.day_bounds())
        prev_frame = q.item_counts(s, previous.day_bounds())
        tasks = q.task_stats(s, period.start, as_of)
        prev_tasks = q.task_stats(s, previous.start, previous.end)
        current = headline(s, period, frame, tasks)
        prev_headline = headline(s, previous, prev_frame, prev_tasks)
        lists = q.tag_and_scheme_rows(s, period.day_bounds())
        prev_lists = q.tag_and_scheme_rows(s, previous.day_bounds())
        events = q.event_digests(s, period.start, as_of, limit=TOP_EVENTS)
        bursts = _burst_episodes(s, period, as_of)
        departments = _departments(s, tasks)
        overdue, overdue_more = q.overdue_tasks(
            s, period.start, as_of, MAX_OVERDUE, total=current.tasks.overdue
        )
    tag_rows = [(r.slot, r.sentiment, r.tags) for r in lists if r.tags]
    prev_tag_rows = [(r.slot, r.sentiment, r.tags) for r in prev_lists if r.tags]
    scheme_rows = [(r.slot, r.sentiment, r.scheme_hits) for r in lists if r.scheme_hits]
    prev_scheme_rows = [(r.slot, r.sentiment, r.scheme_hits) for r in prev_lists if r.scheme_hits]
    tag_counts = _tag_counter(tag_rows)
    data = WeeklyData(
        period=period,
        office=config.settings.office_name,
        generated_at=generated_at,
        as_of=as_of,
        current=current,
        previous=prev_headline,
        days=_days(period, frame),
        topics=q.counted(
            named_counts(frame, "topic", q.NO_TOPIC), named_counts(prev_frame, "topic", q.NO_TOPIC)
        ),
        tags=q.counted(tag_counts, _tag_counter(prev_tag_rows), top=12),
        regions=q.counted(
            named_counts(frame, "region", q.NO_REGION), named_counts(prev_frame, "region", q.NO_REGION)
        ),
        events=events,
        bursts=bursts,
        departments=departments,
        overdue=overdue,
        overdue_more=overdue_more,
        schemes=_schemes(config, scheme_rows, prev_scheme_rows),
        rising=_rising(frame, tag_rows),
    )
    logger.info(
        "weekly data %s: %d items, %d events, %d bursts",
        period.slug,
        current.items_total,
        len(events),
        len(bursts),
    )
    return data


def headline(s: Session, period: Period, frame: pd.DataFrame, tasks: q.TaskStats) -> Headline:
    by_kind = frame.groupby("kind")["n"].sum() if not frame.empty else pd.Series(dtype="int64")
    by_sent = frame.groupby("sentiment")["n"].sum() if not frame.empty else pd.Series(dtype="int64")
    kinds = {k: int(by_kind.get(k, 0)) for k in KINDS}
    for k, n in by_kind.items():  # a kind added to the schema later still counts
        kinds.setdefault(str(k), int(n))
    new, active = q.event_counts(s, period.start, period.end)
    return Headline(
        items_by_kind=kinds,
        sentiment={k: int(by_sent.get(k, 0)) for k in (*SENTIMENTS, q.UNANALYZED)},
        alerts_by_level=q.alerts_by_level(s, period.start, period.end),
        events_new=new,
        events_active=active,
        tasks=q.task_figures(tasks),
    )


def _days(period: Period, frame: pd.DataFrame) -> list[DayFigures]:
    out = []
    for slot, day in enumerate(period.days):
        rows = frame[frame["slot"] == slot] if not frame.empty else frame
        sent = rows.groupby("sentiment")["n"].sum() if len(rows) else pd.Series(dtype="int64")
        levels = rows[rows["risk_level"] > 0].groupby("risk_level")["n"].sum() if len(rows) else pd.Series()
        out.append(
            DayFigures(
                day=day,
                total=int(rows["n"].sum()) if len(rows) else 0,
                sentiment={k: int(sent.get(k, 0)) for k in (*SENTIMENTS, q.UNANALYZED)},
                levels={lv: int(levels.get(lv, 0)) for lv in (1, 2, 3, 4)},
            )
        )
    return out


def named_counts(frame: pd.DataFrame, column: str, blank: str) -> Counter[str]:
    if frame.empty:
        return Counter()
    sums = frame.groupby(column)["n"].sum()
    return Counter({(str(k) or blank): int(v) for k, v in sums.items() if int(v)})


def _tag_counter(rows: list[tuple[int, str, list[object]]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _slot, _sent, tags in rows:
        for name in {q.tag_name(t) for t in tags}:
            if name:
                counts[name] += 1
    return counts


def _burst_episodes(s: Session, period: Period, as_of: datetime) -> list[BurstEpisode]:
    rows = s.execute(
        select(
            Burst.topic,
            Burst.region,
            Burst.bucket_start,
            Burst.bucket_minutes,
            Burst.count,
            Burst.baseline,
            Burst.score,
            Burst.event_id,
        )
        .where(Burst.bucket_start >= period.start, Burst.bucket_start < period.end)
        .order_by(Burst.topic, Burst.region, Burst.bucket_start)
    ).all()
    groups: list[list[Any]] = []
    for row in rows:
        start = ensure_utc(row.bucket_start)
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and (last.topic, last.region) == (row.topic, row.region)
            # buckets closer than two bucket lengths belong to one episode
            and start - ensure_utc(last.bucket_start) <= timedelta(minutes=2 * max(last.bucket_minutes, 1))
        ):
            groups[-1].append(row)
        else:
            groups.append([row])
    groups.sort(key=lambda g: -max(r.score for r in g))
    groups = groups[:MAX_BURSTS]
    event_ids = {r.event_id for g in groups for r in g if r.event_id}
    titles = (
        {
            i: q.mask_text(t)
            for i, t in s.execute(select(Event.id, Event.title).where(Event.id.in_(event_ids)))
        }
        if event_ids
        else {}
    )
    episodes = []
    for g in groups:
        peak = max(g, key=lambda r: (r.count, r.score))
        start = ensure_utc(g[0].bucket_start)
        end = ensure_utc(g[-1].bucket_start) + timedelta(minutes=g[-1].bucket_minutes)
        after_end = min(end + timedelta(hours=24), as_of)
        after = _topic_region_count(s, g[0].topic, g[0].region, end, after_end) if after_end > end else 0
        event_id = next((r.event_id for r in g if r.event_id), None)
        episodes.append(
            BurstEpisode(
                topic=g[0].topic,
                region=g[0].region,
                start=start,
                end=end,
                buckets=len(g),
                total=sum(int(r.count) for r in g),
                peak_count=int(peak.count),
                peak_bucket_minutes=int(peak.bucket_minutes),
                peak_baseline=float(peak.baseline),
                max_score=float(max(r.score for r in g)),
                event_title=titles.get(event_id, "") if event_id else "",
                after_count=after,
                after_hours=max(0.0, (after_end - end).total_seconds() / 3600),
            )
        )
    episodes.sort(key=lambda e: e.start)
    return episodes


def _topic_region_count(s: Session, topic: str, region: str, start: datetime, end: datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(Item)
        .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(q.item_in(start, end), ItemAnalysis.topic == topic)
    )
    if region:  # a burst without a region covers the whole city
        stmt = stmt.where(Item.region == region)
    return int(s.scalar(stmt) or 0)


def _departments(s: Session, tasks: q.TaskStats) -> list[DepartmentRow]:
    if tasks.counts.empty:
        return []
    names = q.department_names(s)

    def name(dept_id: object) -> str:
        return names.get(int(dept_id), q.NO_DEPARTMENT) if pd.notna(dept_id) else q.NO_DEPARTMENT  # type: ignore[call-overload]

    counts = tasks.counts.assign(department=tasks.counts["department_id"].map(name))
    table = counts.pivot_table(index="department", columns="outcome", values="n", aggfunc="sum", fill_value=0)
    medians = (
        tasks.hours.assign(department=tasks.hours["department_id"].map(name))
        .groupby("department")["hours"]
        .median()
        if not tasks.hours.empty
        else pd.Series(dtype=float)
    )
    rows = []
    for department, row in table.iterrows():
        median = medians.get(department)
        rows.append(
            DepartmentRow(
                name=str(department),
                on_time=int(row.get("on_time", 0)),
                late=int(row.get("late", 0)),
                overdue=int(row.get("overdue", 0)),
                in_progress=int(row.get("in_progress", 0)),
                median_hours=None if median is None or pd.isna(median) else float(median),
            )
        )
    # Worst first: most overdue, then most late, then the biggest load.
    rows.sort(key=lambda r: (-r.overdue, -r.late, -(r.judged + r.in_progress), r.name))
    return rows


def _schemes(
    config: AppConfig,
    rows: list[tuple[int, str, list[object]]],
    prev_rows: list[tuple[int, str, list[object]]],
) -> list[SchemeRow]:
    def tally(
        data: list[tuple[int, str, list[object]]],
    ) -> tuple[Counter[str], Counter[str], dict[str, Counter[str]]]:
        hits: Counter[str] = Counter()
        negative: Counter[str] = Counter()
        terms: dict[str, Counter[str]] = {}
        for _slot, sentiment, hit_list in data:
            for name in {_scheme_name(h) for h in hit_list} - {""}:
                hits[name] += 1
                if sentiment == "negative":
                    negative[name] += 1
            for h in hit_list:
                if isinstance(h, dict):
                    for term in h.get("terms") or []:
                        terms.setdefault(_scheme_name(h), Counter())[str(term)] += 1
        return hits, negative, terms

    hits, negative, terms = tally(rows)
    prev_hits, _, _ = tally(prev_rows)
    configured = {sc.name: sc for sc in config.schemes.schemes if sc.enabled}
    names = list(configured) + sorted((set(hits) | set(prev_hits)) - set(configured))
    out = [
        SchemeRow(
            name=name,
            hits=hits.get(name, 0),
            negative=negative.get(name, 0),
            previous=prev_hits.get(name, 0),
            top_terms=[t for t, _ in terms.get(name, Counter()).most_common(3)],
            always_alert=bool(configured[name].always_alert) if name in configured else False,
        )
        for name in names
    ]
    out.sort(key=lambda r: (-r.hits, -r.previous, names.index(r.name)))
    return out


def _scheme_name(hit: object) -> str:
    if isinstance(hit, dict):
        return str(hit.get("scheme") or hit.get("name") or "")
    return str(hit)


def _rising(frame: pd.DataFrame, tag_rows: list[tuple[int, str, list[object]]]) -> list[Rising]:
    """Topics and focus tags whose weekend daily average is well above their Monday-to-Friday average."""
    per_slot: dict[tuple[str, str], Counter[int]] = {}
    if not frame.empty:
        topics = frame[frame["topic"] != ""].groupby(["topic", "slot"])["n"].sum()
        for (topic, slot), n in topics.items():
            per_slot.setdefault(("topic", str(topic)), Counter())[int(slot)] += int(n)
    for slot, _sent, tags in tag_rows:
        for name in {q.tag_name(t) for t in tags} - {""}:
            per_slot.setdefault(("tag", name), Counter())[slot] += 1
    out = []
    for (kind, name), slots in per_slot.items():
        early = sum(slots.get(i, 0) for i in range(5)) / 5
        late_count = slots.get(5, 0) + slots.get(6, 0)
        late = late_count / 2
        if late_count >= RISING_MIN and (early == 0 or late / early >= RISING_RATIO):
            out.append(Rising(name, kind, early, late, late_count))
    out.sort(
        key=lambda r: (-(r.late_daily / r.early_daily if r.early_daily else float("inf")), -r.late_count)
    )
    return out[:6]
