"""Read-only queries behind every page. Each returns a pandas DataFrame or a frozen dataclass (never ORM
objects), selects only the columns it shows and stays on indexed ranges: counts come from rollup_hourly,
lists are bounded. Times come back as aware UTC; pages convert to Asia/Shanghai for display.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, Select, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from core.clock import SHANGHAI, ensure_utc, to_local
from core.db import Database
from core.models import (
    Alert,
    AuditLog,
    CrawlRun,
    Department,
    Event,
    HourlyRollup,
    Item,
    ItemAnalysis,
    Label,
    Notification,
    Report,
    ResponseTask,
    Silence,
    Source,
    User,
    WorkdayOverride,
)
from core.privacy import mask
from core.search import item_search_clause

Window = Literal["24h", "7d", "30d"]
WINDOWS: dict[str, str] = {"24h": "24小时", "7d": "7天", "30d": "30天"}
OPEN_ALERT_STATES = ("triggered", "acknowledged", "responding")
OPEN_TASK_STATES = ("running", "paused")
LOCAL_TZ = "Asia/Shanghai"


# --- time helpers ---------------------------------------------------------------------------------------


def local_midnight(now: datetime) -> datetime:
    """Start (as UTC) of the Asia/Shanghai day that contains `now`."""
    local = to_local(now)
    return ensure_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


def local_week_start(now: datetime) -> datetime:
    midnight = to_local(local_midnight(now))
    return ensure_utc(midnight - timedelta(days=midnight.weekday()))


def utc_series(values: Any) -> pd.Series:
    """A column of datetimes as tz-aware UTC (SQLite returns naive values that are UTC already)."""
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True)


def _frame(rows: Sequence[Any], columns: Sequence[str], times: Iterable[str] = ()) -> pd.DataFrame:
    df = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    for col in times:
        df[col] = utc_series(df[col]) if len(df) else pd.Series([], dtype="datetime64[ns, UTC]")
    return df


def _aware(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None


def window_start(now: datetime, window: str) -> tuple[datetime, str]:
    """First instant of a chart window and its bucket: hours for 24 h, local days otherwise."""
    if window == "24h":
        hour = now.replace(minute=0, second=0, microsecond=0)
        return hour - timedelta(hours=23), "h"
    days = 7 if window == "7d" else 30
    return local_midnight(now) - timedelta(days=days - 1), "D"


def _bucket(times: pd.Series, freq: str) -> pd.Series:
    local = times.dt.tz_convert(LOCAL_TZ)
    return local.dt.floor("h") if freq == "h" else local.dt.floor("D")


def _all_buckets(start: datetime, now: datetime, freq: str) -> pd.DatetimeIndex:
    first = pd.Timestamp(start).tz_convert(LOCAL_TZ)
    last = pd.Timestamp(now).tz_convert(LOCAL_TZ)
    if freq == "h":
        return pd.date_range(first.floor("h"), last.floor("h"), freq="h")
    # Daily buckets at local midnight; built from dates so DST-free zones and others both come out right.
    days = pd.date_range(first.date(), last.date(), freq="D")
    return pd.DatetimeIndex([pd.Timestamp(d).tz_localize(LOCAL_TZ) for d in days])


# --- overview -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A figure for the current period and the same stretch of the previous one."""

    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous

    @property
    def ratio(self) -> float | None:
        if self.previous == 0:
            return None
        return (self.current - self.previous) / self.previous


@dataclass(frozen=True)
class OverviewNumbers:
    items_today: Change
    negative_share_today: Change  # 0..1
    items_week: Change
    negative_share_week: Change
    alerts_opened_today: Change
    open_alerts_by_level: dict[int, int]
    overdue_now: int
    overdue_today: Change  # deadlines that passed unanswered today vs yesterday at this time
    as_of: datetime


def _rollup_totals(s: Session, start: datetime, end: datetime) -> tuple[int, int]:
    negative = func.sum(case((HourlyRollup.sentiment == "negative", HourlyRollup.count), else_=0))
    row = s.execute(
        select(func.coalesce(func.sum(HourlyRollup.count), 0), func.coalesce(negative, 0)).where(
            HourlyRollup.hour >= start, HourlyRollup.hour < end
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def _share(negative: int, total: int) -> float:
    return negative / total if total else 0.0


def _overdue_between(s: Session, start: datetime, end: datetime) -> int:
    """Tasks whose deadline fell in [start, end) without an answer by then."""
    return int(
        s.scalar(
            select(func.count(ResponseTask.id)).where(
                ResponseTask.due_at >= start,
                ResponseTask.due_at < end,
                ResponseTask.state != "cancelled",
                or_(ResponseTask.answered_at.is_(None), ResponseTask.answered_at > ResponseTask.due_at),
            )
        )
        or 0
    )


def overview_numbers(db: Database, now: datetime) -> OverviewNumbers:
    today = local_midnight(now)
    week = local_week_start(now)
    day, seven = timedelta(days=1), timedelta(days=7)
    # The open hour counts too: a rollup bucket is labelled with its start.
    end_now = now + timedelta(microseconds=1)
    with db.session() as s:
        t_total, t_neg = _rollup_totals(s, today, end_now)
        y_total, y_neg = _rollup_totals(s, today - day, end_now - day)
        w_total, w_neg = _rollup_totals(s, week, end_now)
        lw_total, lw_neg = _rollup_totals(s, week - seven, end_now - seven)
        by_level = dict(
            s.execute(
                select(Alert.level, func.count(Alert.id))
                .where(Alert.state.in_(OPEN_ALERT_STATES))
                .group_by(Alert.level)
            ).all()
        )
        opened_today = s.scalar(
            select(func.count(Alert.id)).where(Alert.opened_at >= today, Alert.opened_at < end_now)
        )
        opened_yesterday = s.scalar(
            select(func.count(Alert.id)).where(
                Alert.opened_at >= today - day, Alert.opened_at < end_now - day
            )
        )
        overdue_now = s.scalar(
            select(func.count(ResponseTask.id)).where(
                ResponseTask.state == "running", ResponseTask.due_at < now
            )
        )
        overdue_today = _overdue_between(s, today, now)
        overdue_yesterday = _overdue_between(s, today - day, now - day)
    return OverviewNumbers(
        items_today=Change(t_total, y_total),
        negative_share_today=Change(_share(t_neg, t_total), _share(y_neg, y_total)),
        items_week=Change(w_total, lw_total),
        negative_share_week=Change(_share(w_neg, w_total), _share(lw_neg, lw_total)),
        alerts_opened_today=Change(int(opened_today or 0), int(opened_yesterday or 0)),
        open_alerts_by_level={int(k): int(v) for k, v in by_level.items()},
        overdue_now=int(overdue_now or 0),
        overdue_today=Change(overdue_today, overdue_yesterday),
        as_of=now,
    )


@dataclass(frozen=True)
class OverviewSeries:
    """Chart data for one window; `bucket` columns are local (Asia/Shanghai) hours or days."""

    window: str
    risk: pd.DataFrame  # bucket, risk_level, count
    kinds: pd.DataFrame  # bucket, kind, count
    sentiment: pd.DataFrame  # bucket, sentiment, count
    topics: pd.DataFrame  # topic, count, negative
    regions: pd.DataFrame  # region, count, negative
    buckets: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))


def _local_day_sql(hour: ColumnElement[Any], dialect: str, now: datetime) -> ColumnElement[str]:
    """The local (Asia/Shanghai) day of a rollup hour as 'YYYY-MM-DD', computed by the database.

    The constants are written into the statement rather than bound: the GROUP BY repeats the expression and
    PostgreSQL does not take two parameters as the same expression."""
    if dialect == "postgresql":
        return func.to_char(
            func.timezone(literal(LOCAL_TZ, literal_execute=True), hour),
            literal("YYYY-MM-DD", literal_execute=True),
        )
    # SQLite keeps the hour as UTC text ('2026-11-20 01:00:00.000000') and knows no time zones; Asia/Shanghai
    # has kept +08:00 without daylight saving since 1991, so shifting by the current offset is exact.
    offset = to_local(now).utcoffset() or timedelta(0)
    shift = f"{int(offset.total_seconds() // 60):+d} minutes"
    return func.strftime(
        literal("%Y-%m-%d", literal_execute=True), hour, literal(shift, literal_execute=True)
    )


def _topic_region_rows(db: Database, start: datetime) -> list[Any]:
    """(topic, region, count, negative) since `start`: the topic and district charts' one query."""
    negative = func.sum(case((HourlyRollup.sentiment == "negative", HourlyRollup.count), else_=0))
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    HourlyRollup.topic,
                    HourlyRollup.region,
                    cast(func.sum(HourlyRollup.count), BigInteger),
                    cast(negative, BigInteger),
                )
                .where(HourlyRollup.hour >= start)
                .group_by(HourlyRollup.topic, HourlyRollup.region)
            ).all()
        )


def overview_series(db: Database, now: datetime, window: str) -> OverviewSeries:
    """The window's rollup rows summed by the database to what the charts plot (a month of a busy city is
    ~60,000-80,000 rows; ~1,300 cross into Python): per bucket, kind, sentiment and level, and per topic and
    region with the negative part."""
    start, freq = window_start(now, window)
    # A plain connection, not an ORM session: the ORM's row handling is pure overhead for tuples.
    with db.engine.connect() as conn:
        dims = (HourlyRollup.kind, HourlyRollup.sentiment, HourlyRollup.risk_level)
        if freq == "h":
            # 24 hours: the hour is the bucket (as text; each distinct one is parsed once below).
            cells = (
                select(cast(HourlyRollup.hour, String), *dims, cast(func.sum(HourlyRollup.count), BigInteger))
                .where(HourlyRollup.hour >= start)
                .group_by(HourlyRollup.hour, *dims)
            )
        else:
            # Days: first by hour, which walks ix_rollup_hourly_cover in its own order (SQLite needs no sort),
            # then those few thousand cells by local day, the only sort left.
            hourly = (
                select(HourlyRollup.hour, *dims, func.sum(HourlyRollup.count).label("n"))
                .where(HourlyRollup.hour >= start)
                .group_by(HourlyRollup.hour, *dims)
                .subquery()
            )
            day = _local_day_sql(hourly.c.hour, conn.dialect.name, now)
            inner = (hourly.c.kind, hourly.c.sentiment, hourly.c.risk_level)
            cells = select(day, *inner, cast(func.sum(hourly.c.n), BigInteger)).group_by(day, *inner)
        rows = conn.execute(cells).all()
    mix_rows = _topic_region_rows(db, start)
    # A few hundred rows: plain dicts, then one small frame per chart (pandas' per-call overhead would cost
    # more than the sums).
    stamps = {label: _bucket_stamp(label, freq) for label in {r[0] for r in rows}}
    risk: Counter[tuple[pd.Timestamp, int]] = Counter()
    kinds: Counter[tuple[pd.Timestamp, str]] = Counter()
    sentiment: Counter[tuple[pd.Timestamp, str]] = Counter()
    for label, kind, feeling, level, n in rows:
        bucket = stamps[label]
        kinds[bucket, kind] += int(n)
        sentiment[bucket, feeling] += int(n)
        if int(level) > 0:
            risk[bucket, int(level)] += int(n)
    topics: Counter[str] = Counter()
    topics_negative: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    regions_negative: Counter[str] = Counter()
    for topic, region, n, neg in mix_rows:
        topics[topic or "未分类"] += int(n)
        topics_negative[topic or "未分类"] += int(neg)
        regions[region or "未知"] += int(n)
        regions_negative[region or "未知"] += int(neg)
    return OverviewSeries(
        window=window,
        risk=_bucket_frame(risk, "risk_level"),
        kinds=_bucket_frame(kinds, "kind"),
        sentiment=_bucket_frame(sentiment, "sentiment"),
        topics=_ranked_frame(topics, topics_negative, "topic"),
        regions=_ranked_frame(regions, regions_negative, "region"),
        buckets=_all_buckets(start, now, freq),
    )


def _bucket_stamp(label: str, freq: str) -> pd.Timestamp:
    """A bucket label from overview_series' query as its local (Asia/Shanghai) start."""
    if freq == "h":
        # The hour as the database wrote it: '2026-11-20 01:00:00.000000' (SQLite, UTC) or with its offset.
        at = pd.Timestamp(label)
        at = at.tz_localize("UTC") if at.tzinfo is None else at
        return at.tz_convert(LOCAL_TZ).floor("h")
    return pd.Timestamp(label).tz_localize(LOCAL_TZ)  # 'YYYY-MM-DD', a local day


def _bucket_frame(counts: Counter[tuple[pd.Timestamp, Any]], column: str) -> pd.DataFrame:
    """bucket, `column`, count, ordered by bucket then value (as a pandas groupby would give them)."""
    keys = sorted(counts)
    return pd.DataFrame(
        {
            "bucket": pd.DatetimeIndex([k[0] for k in keys], dtype=f"datetime64[ns, {LOCAL_TZ}]"),
            column: pd.array([k[1] for k in keys], dtype="int64" if column == "risk_level" else "str"),
            "count": pd.array([counts[k] for k in keys], dtype="int64"),
        }
    )


def _ranked_frame(counts: Counter[str], negative: Counter[str], column: str) -> pd.DataFrame:
    """`column`, count, negative: largest first; equal counts in name order, so bars do not swap places
    between refreshes."""
    names = sorted(counts, key=lambda name: (-counts[name], name))
    return pd.DataFrame(
        {
            column: pd.array(names, dtype="str"),
            "count": pd.array([counts[n] for n in names], dtype="int64"),
            "negative": pd.array([negative[n] for n in names], dtype="int64"),
        }
    )


def focus_tags(db: Database, now: datetime, window: str, limit: int = 12) -> pd.DataFrame:
    """Focus areas (关注领域) by the items of the events active in the window (events carry their tags)."""
    start, _ = window_start(now, window)
    with db.session() as s:
        # The window's largest tagged events carry nearly all of the weight; capping the rows keeps a month
        # of a busy city's events cheap to read.
        rows = s.execute(
            select(Event.tags, Event.item_count)
            .where(Event.last_seen_at >= start, cast(Event.tags, String) != "[]")
            .order_by(Event.item_count.desc())
            .limit(1000)
        ).all()
    counts: dict[str, int] = {}
    for tags, n in rows:
        for tag in tags or []:
            counts[str(tag)] = counts.get(str(tag), 0) + int(n or 0)
    out = pd.DataFrame(sorted(counts.items(), key=lambda kv: -kv[1])[:limit], columns=["tag", "items"])
    return out


def _trend_growth(trend: Any, now: datetime, hours: int = 6) -> tuple[int, int]:
    """Items in the last `hours` and in the `hours` before, from an event's [[iso hour, count], ...]."""
    recent = before = 0
    for entry in trend or []:
        try:
            at = ensure_utc(datetime.fromisoformat(str(entry[0])))
            n = int(entry[1])
        except (ValueError, TypeError, IndexError):
            continue
        age = now - at
        if timedelta(0) <= age < timedelta(hours=hours):
            recent += n
        elif timedelta(hours=hours) <= age < timedelta(hours=2 * hours):
            before += n
    return recent, before


def rising_events(db: Database, now: datetime, limit: int = 10) -> pd.DataFrame:
    """Open events seen in the last 24 h, highest risk first, then by how fast they grew in 6 h."""
    with db.session() as s:
        rows = s.execute(
            select(
                Event.id,
                Event.title,
                Event.risk_level,
                Event.item_count,
                Event.source_count,
                Event.region,
                Event.first_seen_at,
                Event.last_seen_at,
                Event.trend,
            )
            .where(Event.last_seen_at >= now - timedelta(hours=24), Event.status == "open")
            # Highest levels first (ix_events_risk); growth is then judged among these.
            .order_by(Event.risk_level.desc(), Event.last_seen_at.desc())
            .limit(100)
        ).all()
    records = []
    for r in rows:
        recent, before = _trend_growth(r.trend, now)
        records.append(
            {
                "id": r.id,
                "title": r.title or "",
                "risk_level": int(r.risk_level or 0),
                "item_count": int(r.item_count or 0),
                "source_count": int(r.source_count or 0),
                "region": r.region or "",
                "first_seen_at": ensure_utc(r.first_seen_at),
                "last_seen_at": ensure_utc(r.last_seen_at),
                "recent": recent,
                "growth": recent - before,
            }
        )
    cols = [
        "id",
        "title",
        "risk_level",
        "item_count",
        "source_count",
        "region",
        "first_seen_at",
        "last_seen_at",
        "recent",
        "growth",
    ]
    df = pd.DataFrame.from_records(records, columns=cols)
    if df.empty:
        return df
    top = df.sort_values(["risk_level", "growth", "item_count"], ascending=False, ignore_index=True).head(
        limit
    )
    top["title"] = top["title"].map(mask)  # only the rows shown
    return top


# --- alerts ---------------------------------------------------------------------------------------------

ALERT_COLUMNS = [
    "id",
    "level",
    "state",
    "title",
    "summary",
    "rule",
    "fingerprint",
    "opened_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "next_escalation_at",
    "event_id",
    "item_id",
    "department_id",
    "department",
    "task_id",
    "task_kind",
    "due_at",
    "warn_at",
    "task_state",
    "paused_at",
    "inhibited_by",
    "instruction",
]


def alert_queue(
    db: Database,
    now: datetime,
    *,
    states: Sequence[str] = OPEN_ALERT_STATES,
    min_level: int = 0,
    resolved_days: int = 7,
    limit: int = 200,
) -> pd.DataFrame:
    """The queue: open alerts (and, when asked, those resolved in the last days), level first, newest first."""
    task = aliased(ResponseTask)
    open_states = [st for st in states if st != "resolved"]
    conditions: list[Any] = []
    if open_states:
        conditions.append(Alert.state.in_(open_states))
    if "resolved" in states:
        conditions.append(
            and_(Alert.state == "resolved", Alert.resolved_at >= now - timedelta(days=resolved_days))
        )
    if not conditions:
        return pd.DataFrame(columns=[*ALERT_COLUMNS, "deadline", "deadline_kind"])
    query = (
        select(
            Alert.id,
            Alert.level,
            Alert.state,
            Alert.title,
            Alert.summary,
            Alert.rule,
            Alert.fingerprint,
            Alert.opened_at,
            Alert.acknowledged_at,
            Alert.acknowledged_by,
            Alert.resolved_at,
            Alert.next_escalation_at,
            Alert.event_id,
            Alert.item_id,
            Alert.assigned_department_id,
            Department.name,
            task.id,
            task.kind,
            task.due_at,
            task.warn_at,
            task.state,
            task.paused_at,
            Alert.inhibited_by,
            Alert.instruction,
        )
        .outerjoin(Department, Department.id == Alert.assigned_department_id)
        .outerjoin(task, task.id == Alert.response_task_id)
        .where(or_(*conditions), Alert.level >= min_level)
        .order_by((Alert.state == "resolved").asc(), Alert.level.desc(), Alert.opened_at.desc())
        .limit(limit)
    )
    with db.session() as s:
        rows = s.execute(query).all()
    df = _frame(
        rows,
        ALERT_COLUMNS,
        times=[
            "opened_at",
            "acknowledged_at",
            "resolved_at",
            "next_escalation_at",
            "due_at",
            "warn_at",
            "paused_at",
        ],
    )
    df["title"] = df["title"].map(lambda t: mask(t or ""))
    deadlines = [countdown_target(r) for r in df.itertuples(index=False)]
    df["deadline"] = [d[0] for d in deadlines]
    df["deadline_kind"] = [d[1] for d in deadlines]
    return df


def countdown_target(row: Any) -> tuple[datetime | None, str]:
    """What the queue counts down to: the response deadline while a timer runs, the next escalation while
    an alert waits for acknowledgement. ('paused', 'none' carry no deadline.)"""
    if row.state == "resolved":
        return None, "none"
    task_state = row.task_state if isinstance(row.task_state, str) else None
    if task_state == "running" and not pd.isna(row.due_at):
        return pd.Timestamp(row.due_at).to_pydatetime(), "response"
    if task_state == "paused":
        return None, "paused"
    if row.state == "triggered" and not pd.isna(row.next_escalation_at):
        return pd.Timestamp(row.next_escalation_at).to_pydatetime(), "escalation"
    return None, "none"


@dataclass(frozen=True)
class AlertDetail:
    id: int
    level: int
    state: str
    title: str
    summary: str
    rule: str
    fingerprint: str
    detail: dict[str, Any]
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    next_escalation_at: datetime | None
    escalation_step: int
    event_id: int | None
    event_title: str | None
    item_id: int | None
    item_title: str | None
    source_name: str | None
    department_id: int | None
    department: str | None
    instruction: str | None
    inhibited_by: int | None
    task_id: int | None
    task_kind: str | None
    task_unit: str | None
    task_state: str | None
    task_due_at: datetime | None
    task_warn_at: datetime | None
    task_paused_at: datetime | None
    task_started_at: datetime | None
    task_extensions: int
    task_answered_at: datetime | None
    task_answer: str | None


def alert_detail(db: Database, alert_id: int) -> AlertDetail | None:
    with db.session() as s:
        a = s.get(Alert, alert_id)
        if a is None:
            return None
        event = s.get(Event, a.event_id) if a.event_id else None
        item_title = None
        if a.item_id:
            item_title = s.scalar(select(ItemAnalysis.title_masked).where(ItemAnalysis.item_id == a.item_id))
            if item_title is None:
                raw = s.scalar(select(Item.title).where(Item.id == a.item_id))
                item_title = mask(raw) if raw else None
        source_name = s.scalar(select(Source.name).where(Source.id == a.source_id)) if a.source_id else None
        department = (
            s.scalar(select(Department.name).where(Department.id == a.assigned_department_id))
            if a.assigned_department_id
            else None
        )
        task = s.get(ResponseTask, a.response_task_id) if a.response_task_id else None
        return AlertDetail(
            id=a.id,
            level=a.level,
            state=a.state,
            title=mask(a.title or ""),
            summary=mask(a.summary or ""),
            rule=a.rule,
            fingerprint=a.fingerprint,
            detail=dict(a.detail or {}),
            opened_at=ensure_utc(a.opened_at),
            acknowledged_at=_aware(a.acknowledged_at),
            acknowledged_by=a.acknowledged_by,
            resolved_at=_aware(a.resolved_at),
            resolved_by=a.resolved_by,
            next_escalation_at=_aware(a.next_escalation_at),
            escalation_step=a.escalation_step or 0,
            event_id=a.event_id,
            event_title=mask(event.title) if event else None,
            item_id=a.item_id,
            item_title=item_title,
            source_name=source_name,
            department_id=a.assigned_department_id,
            department=department,
            instruction=a.instruction,
            inhibited_by=a.inhibited_by,
            task_id=task.id if task else None,
            task_kind=task.kind if task else None,
            task_unit=str((task.limit_spec or {}).get("unit") or "") or None if task else None,
            task_state=task.state if task else None,
            task_due_at=_aware(task.due_at) if task else None,
            task_warn_at=_aware(task.warn_at) if task else None,
            task_paused_at=_aware(task.paused_at) if task else None,
            task_started_at=_aware(task.started_at) if task else None,
            task_extensions=task.extensions if task else 0,
            task_answered_at=_aware(task.answered_at) if task else None,
            task_answer=mask(task.answer_text) if task and task.answer_text else None,
        )


def audit_trail(db: Database, objects: Sequence[tuple[str, int | str]], limit: int = 500) -> pd.DataFrame:
    """audit_log rows of the given (object_type, object_id) pairs, oldest first."""
    cols = ["at", "actor", "action", "object_type", "object_id", "comment", "detail"]
    if not objects:
        return _frame([], cols, times=["at"])
    cond = or_(*[and_(AuditLog.object_type == t, AuditLog.object_id == str(i)) for t, i in objects])
    with db.session() as s:
        rows = s.execute(
            select(
                AuditLog.at,
                AuditLog.actor,
                AuditLog.action,
                AuditLog.object_type,
                AuditLog.object_id,
                AuditLog.comment,
                AuditLog.detail,
            )
            .where(cond)
            .order_by(AuditLog.at.asc(), AuditLog.id.asc())
            .limit(limit)
        ).all()
    return _frame(rows, cols, times=["at"])


def alert_history(db: Database, alert_id: int, task_id: int | None) -> pd.DataFrame:
    objects: list[tuple[str, int | str]] = [("alert", alert_id)]
    if task_id:
        objects.append(("response_task", task_id))
    return audit_trail(db, objects)


def alert_for_task(db: Database, task_id: int) -> int | None:
    """The alert a response timer belongs to: the one holding it, else the newest on its event or item."""
    with db.session() as s:
        found = s.scalar(select(Alert.id).where(Alert.response_task_id == task_id).limit(1))
        if found is not None:
            return int(found)
        task = s.execute(
            select(ResponseTask.event_id, ResponseTask.item_id).where(ResponseTask.id == task_id)
        ).first()
        if task is None:
            return None
        conds = []
        if task.event_id is not None:
            conds.append(Alert.event_id == task.event_id)
        if task.item_id is not None:
            conds.append(Alert.item_id == task.item_id)
        if not conds:
            return None
        found = s.scalar(select(Alert.id).where(or_(*conds)).order_by(Alert.opened_at.desc()).limit(1))
        return int(found) if found is not None else None


def department_options(db: Database) -> list[tuple[int, str]]:
    with db.session() as s:
        return [
            (int(i), str(n))
            for i, n in s.execute(select(Department.id, Department.name).order_by(Department.id))
        ]


# --- events ---------------------------------------------------------------------------------------------


def event_list(db: Database, now: datetime, *, days: int = 30, limit: int = 300) -> pd.DataFrame:
    first_source = aliased(Source)
    with db.session() as s:
        rows = s.execute(
            select(
                Event.id,
                Event.title,
                Event.risk_level,
                Event.status,
                Event.topic,
                Event.region,
                Event.item_count,
                Event.source_count,
                Event.neg_count,
                first_source.name,
                Event.first_seen_at,
                Event.last_seen_at,
            )
            .outerjoin(first_source, first_source.id == Event.first_source_id)
            .where(Event.last_seen_at >= now - timedelta(days=days))
            .order_by(Event.last_seen_at.desc())
            .limit(limit)
        ).all()
    df = _frame(
        rows,
        [
            "id",
            "title",
            "risk_level",
            "status",
            "topic",
            "region",
            "item_count",
            "source_count",
            "neg_count",
            "first_source",
            "first_seen_at",
            "last_seen_at",
        ],
        times=["first_seen_at", "last_seen_at"],
    )
    df["title"] = df["title"].map(lambda t: mask(t or ""))
    return df


@dataclass(frozen=True)
class EventDetail:
    id: int
    title: str
    summary: str
    topic: str | None
    region: str | None
    tags: list[str]
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    item_count: int
    source_count: int
    kind_counts: dict[str, int]
    sentiment: dict[str, int]
    risk_level: int
    risk_score: float
    risk_factors: list[Any]
    trend: list[Any]
    first_source: str | None
    first_item_id: int | None
    first_item_title: str | None
    first_item_at: datetime | None


def event_detail(db: Database, event_id: int) -> EventDetail | None:
    with db.session() as s:
        e = s.get(Event, event_id)
        if e is None:
            return None
        first_source = (
            s.scalar(select(Source.name).where(Source.id == e.first_source_id)) if e.first_source_id else None
        )
        first_title = first_at = None
        if e.first_item_id:
            row = s.execute(
                select(Item.title, ItemAnalysis.title_masked, Item.published_at, Item.fetched_at)
                .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
                .where(Item.id == e.first_item_id)
            ).first()
            if row is not None:
                first_title = row.title_masked if row.title_masked is not None else mask(row.title or "")
                first_at = _aware(row.published_at or row.fetched_at)
        return EventDetail(
            id=e.id,
            title=mask(e.title or ""),
            summary=mask(e.summary or ""),
            topic=e.topic,
            region=e.region,
            tags=[str(t) for t in (e.tags or [])],
            status=e.status,
            first_seen_at=ensure_utc(e.first_seen_at),
            last_seen_at=ensure_utc(e.last_seen_at),
            item_count=e.item_count or 0,
            source_count=e.source_count or 0,
            kind_counts={str(k): int(v) for k, v in (e.kind_counts or {}).items()},
            sentiment={
                "negative": e.neg_count or 0,
                "neutral": e.neu_count or 0,
                "positive": e.pos_count or 0,
            },
            risk_level=e.risk_level or 0,
            risk_score=float(e.risk_score or 0.0),
            risk_factors=list(e.risk_factors or []),
            trend=list(e.trend or []),
            first_source=first_source,
            first_item_id=e.first_item_id,
            first_item_title=first_title,
            first_item_at=first_at,
        )


def event_items(db: Database, event_id: int, limit: int = 1000) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(
                Item.id,
                func.coalesce(Item.published_at, Item.fetched_at),
                Source.name,
                Item.kind,
                ItemAnalysis.title_masked,
                Item.title,
                ItemAnalysis.sentiment,
                ItemAnalysis.risk_level,
                Item.reply_status,
                Item.url,
            )
            .join(Source, Source.id == Item.source_id)
            .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .where(Item.event_id == event_id)
            .order_by(func.coalesce(Item.published_at, Item.fetched_at).asc())
            .limit(limit)
        ).all()
    df = _frame(
        rows,
        [
            "id",
            "at",
            "source",
            "kind",
            "title_masked",
            "raw_title",
            "sentiment",
            "risk_level",
            "reply_status",
            "url",
        ],
        times=["at"],
    )
    df["title"] = [
        t if isinstance(t, str) else mask(r or "")
        for t, r in zip(df["title_masked"], df["raw_title"], strict=True)
    ]
    return df.drop(columns=["title_masked", "raw_title"])


def event_alerts(db: Database, event_id: int) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(Alert.id, Alert.level, Alert.state, Alert.title, Alert.opened_at, Alert.response_task_id)
            .where(Alert.event_id == event_id)
            .order_by(Alert.opened_at.desc())
        ).all()
    df = _frame(rows, ["id", "level", "state", "title", "opened_at", "task_id"], times=["opened_at"])
    df["title"] = df["title"].map(lambda t: mask(t or ""))
    return df


def event_tasks(db: Database, event_id: int) -> pd.DataFrame:
    """Response timers on the event itself and on its items."""
    item_ids = select(Item.id).where(Item.event_id == event_id).scalar_subquery()
    with db.session() as s:
        rows = s.execute(
            select(
                ResponseTask.id,
                ResponseTask.kind,
                ResponseTask.state,
                Department.name,
                ResponseTask.started_at,
                ResponseTask.due_at,
                ResponseTask.answered_at,
                ResponseTask.item_id,
                ResponseTask.extensions,
            )
            .outerjoin(Department, Department.id == ResponseTask.department_id)
            .where(or_(ResponseTask.event_id == event_id, ResponseTask.item_id.in_(item_ids)))
            .order_by(ResponseTask.due_at.asc())
            .limit(500)
        ).all()
    return _frame(
        rows,
        ["id", "kind", "state", "department", "started_at", "due_at", "answered_at", "item_id", "extensions"],
        times=["started_at", "due_at", "answered_at"],
    )


# --- items ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFilters:
    text: str = ""
    start: datetime | None = None
    end: datetime | None = None
    source_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tag: str | None = None
    sentiments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    min_risk: int = 0
    reply_statuses: tuple[str, ...] = ()


ITEM_COLUMNS = [
    "id",
    "published_at",
    "source",
    "kind",
    "title",
    "content",
    "sentiment",
    "topic",
    "tags",
    "scheme_hits",
    "region",
    "risk_level",
    "reply_status",
    "url",
    "event_id",
]


def _like_escape(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _item_query(filters: ItemFilters, *, unmasked_search: bool, dialect: str) -> Select[*tuple[Any, ...]]:
    conds: list[Any] = []
    if filters.start is not None:
        conds.append(Item.published_at >= filters.start)
    if filters.end is not None:
        conds.append(Item.published_at < filters.end)
    if filters.source_ids:
        conds.append(Item.source_id.in_(filters.source_ids))
    if filters.kinds:
        conds.append(Item.kind.in_(filters.kinds))
    if filters.topics:
        conds.append(ItemAnalysis.topic.in_(filters.topics))
    if filters.sentiments:
        conds.append(ItemAnalysis.sentiment.in_(filters.sentiments))
    if filters.regions:
        conds.append(Item.region.in_(filters.regions))
    if filters.min_risk > 0:
        conds.append(ItemAnalysis.risk_level >= filters.min_risk)
    if filters.reply_statuses:
        conds.append(Item.reply_status.in_(filters.reply_statuses))
    if filters.tag:
        # JSON lists are stored as text; match the tag as a JSON string in either escaping of non-ASCII.
        tags_text = cast(ItemAnalysis.tags, String)
        forms = {json.dumps(filters.tag), json.dumps(filters.tag, ensure_ascii=False)}
        conds.append(or_(*[tags_text.like(f"%{_like_escape(f)}%", escape="!") for f in forms]))
    # Full-text search (core.search: FTS5 trigram / pg_trgm). Non-admins search the masked text only, so a
    # phone number or a complainant's name cannot be probed for.
    text_match = item_search_clause(dialect, filters.text, masked=not unmasked_search)
    if text_match is not None:
        conds.append(text_match)
    query = (
        select(
            Item.id,
            Item.published_at,
            Source.name,
            Item.kind,
            ItemAnalysis.title_masked,
            Item.title,
            ItemAnalysis.content_masked,
            Item.content,
            ItemAnalysis.sentiment,
            ItemAnalysis.topic,
            ItemAnalysis.tags,
            ItemAnalysis.scheme_hits,
            Item.region,
            ItemAnalysis.risk_level,
            Item.reply_status,
            Item.url,
            Item.event_id,
        )
        .join(Source, Source.id == Item.source_id)
        .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(Item.deleted_at.is_(None), *conds)
    )
    return query


def search_items(
    db: Database,
    filters: ItemFilters,
    *,
    limit: int = 500,
    unmasked_search: bool = False,
    with_content: bool = False,
) -> tuple[pd.DataFrame, int]:
    """Matching items, newest first (at most `limit`), and how many match in all. Text is masked."""
    query = _item_query(filters, unmasked_search=unmasked_search, dialect=db.engine.dialect.name)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(query.with_only_columns(Item.id).subquery())) or 0
        rows = s.execute(query.order_by(Item.published_at.desc(), Item.id.desc()).limit(limit)).all()
    records = []
    for r in rows:
        title = r.title_masked if r.title_masked is not None else mask(r.title or "")
        content = ""
        if with_content:
            content = r.content_masked if r.content_masked is not None else mask(r.content or "")
        records.append(
            (
                r.id,
                r.published_at,
                r.name,
                r.kind,
                title,
                content,
                r.sentiment or "",
                r.topic or "",
                list(r.tags or []),
                list(r.scheme_hits or []),
                r.region or "",
                int(r.risk_level or 0),
                r.reply_status,
                r.url or "",
                r.event_id,
            )
        )
    return _frame(records, ITEM_COLUMNS, times=["published_at"]), int(total)


@dataclass(frozen=True)
class ItemDetail:
    id: int
    source: str
    kind: str
    url: str | None
    title: str
    content: str
    author: str | None
    media: str | None
    published_at: datetime | None
    region: str | None
    addressee: str | None
    request_type: str | None
    department: str | None
    reply_status: str
    reply_at: datetime | None
    reply_text: str | None
    reply_department: str | None
    event_id: int | None
    event_title: str | None
    sentiment: str | None
    sentiment_score: float | None
    topic: str | None
    tags: list[str]
    scheme_hits: list[dict[str, Any]]
    risk_level: int
    risk_factors: list[Any]
    model_version: str | None
    labels: dict[str, tuple[str, str]]  # field -> (value, by)


def scheme_terms(hits: Iterable[Any]) -> list[str]:
    """The matched terms of item_analysis.scheme_hits ([{"scheme":..,"terms":[..]}]), longest first."""
    terms: set[str] = set()
    for hit in hits or []:
        if isinstance(hit, dict):
            for term in hit.get("terms") or []:
                if isinstance(term, str) and term.strip():
                    terms.add(term)
    return sorted(terms, key=lambda t: (-len(t), t))


def item_detail(db: Database, item_id: int) -> ItemDetail | None:
    with db.session() as s:
        item = s.get(Item, item_id)
        if item is None:
            return None
        analysis = s.get(ItemAnalysis, item_id)
        source = s.scalar(select(Source.name).where(Source.id == item.source_id)) or ""
        event_title = (
            s.scalar(select(Event.title).where(Event.id == item.event_id)) if item.event_id else None
        )
        labels: dict[str, tuple[str, str]] = {}
        for lab in s.scalars(
            select(Label).where(Label.item_id == item_id).order_by(Label.created_at.desc(), Label.id.desc())
        ):
            labels.setdefault(lab.field, (lab.value, lab.created_by))
        return ItemDetail(
            id=item.id,
            source=source,
            kind=item.kind,
            url=item.url,
            title=analysis.title_masked if analysis else mask(item.title or ""),
            content=analysis.content_masked if analysis else mask(item.content or ""),
            author=mask(item.author) if item.author else None,
            media=item.media,
            published_at=_aware(item.published_at),
            region=item.region,
            addressee=item.addressee,
            request_type=item.request_type,
            department=item.department,
            reply_status=item.reply_status,
            reply_at=_aware(item.reply_at),
            reply_text=mask(item.reply_text) if item.reply_text else None,
            reply_department=item.reply_department,
            event_id=item.event_id,
            event_title=mask(event_title) if event_title else None,
            sentiment=analysis.sentiment if analysis else None,
            sentiment_score=analysis.sentiment_score if analysis else None,
            topic=analysis.topic if analysis else None,
            tags=[str(t) for t in (analysis.tags or [])] if analysis else [],
            scheme_hits=[h for h in (analysis.scheme_hits or []) if isinstance(h, dict)] if analysis else [],
            risk_level=analysis.risk_level if analysis else 0,
            risk_factors=list(analysis.risk_factors or []) if analysis else [],
            model_version=analysis.model_version if analysis else None,
            labels=labels,
        )


def source_options(db: Database) -> list[tuple[int, str]]:
    with db.session() as s:
        return [(int(i), str(n)) for i, n in s.execute(select(Source.id, Source.name).order_by(Source.id))]


# --- departments ----------------------------------------------------------------------------------------

TASK_COLUMNS = [
    "id",
    "department_id",
    "department",
    "kind",
    "state",
    "started_at",
    "due_at",
    "answered_at",
    "item_id",
    "event_id",
    "item_title",
    "event_title",
]


def department_tasks(db: Database, now: datetime, days: int) -> pd.DataFrame:
    """Response timers started in the last `days` days, plus every one still open."""
    since = now - timedelta(days=days)
    with db.session() as s:
        rows = s.execute(
            select(
                ResponseTask.id,
                ResponseTask.department_id,
                Department.name,
                ResponseTask.kind,
                ResponseTask.state,
                ResponseTask.started_at,
                ResponseTask.due_at,
                ResponseTask.answered_at,
                ResponseTask.item_id,
                ResponseTask.event_id,
                ItemAnalysis.title_masked,
                Event.title,
            )
            .outerjoin(Department, Department.id == ResponseTask.department_id)
            .outerjoin(ItemAnalysis, ItemAnalysis.item_id == ResponseTask.item_id)
            .outerjoin(Event, Event.id == ResponseTask.event_id)
            .where(or_(ResponseTask.started_at >= since, ResponseTask.state.in_(OPEN_TASK_STATES)))
            .limit(50_000)
        ).all()
    df = _frame(rows, TASK_COLUMNS, times=["started_at", "due_at", "answered_at"])
    df["department"] = df["department"].fillna("未指定部门")
    df["event_title"] = df["event_title"].map(lambda t: mask(t) if isinstance(t, str) else "")
    df["item_title"] = df["item_title"].fillna("")
    df["subject"] = [it or ev for it, ev in zip(df["item_title"], df["event_title"], strict=True)]
    df["outcome"] = classify_tasks(df, now)
    return df


OUTCOMES = {
    "on_time": "按时回应",
    "late": "超时回应",
    "overdue": "超时未回应",
    "open": "在办",
    "cancelled": "已取消",
}


def classify_tasks(tasks: pd.DataFrame, now: datetime) -> pd.Series:
    out = []
    now_ts = pd.Timestamp(now)
    for state, due, answered in zip(tasks["state"], tasks["due_at"], tasks["answered_at"], strict=True):
        if state == "cancelled":
            out.append("cancelled")
        elif not pd.isna(answered):
            out.append("on_time" if answered <= due else "late")
        elif due < now_ts and state == "running":
            out.append("overdue")
        else:
            out.append("open")
    return pd.Series(out, index=tasks.index, dtype="object")


def department_summary(tasks: pd.DataFrame) -> pd.DataFrame:
    """Per department: tasks, on-time rate, median hours to first response, open and overdue counts."""
    cols = [
        "department_id",
        "department",
        "tasks",
        "answered",
        "on_time",
        "late",
        "open",
        "overdue",
        "on_time_rate",
        "median_hours",
    ]
    if tasks.empty:
        return pd.DataFrame(columns=cols)
    live = tasks[tasks["outcome"] != "cancelled"].copy()
    live["hours"] = (live["answered_at"] - live["started_at"]).dt.total_seconds() / 3600
    rows = []
    for (dept_id, dept), g in live.groupby([live["department_id"].fillna(-1), "department"], sort=False):
        counts = g["outcome"].value_counts()
        on_time, late, overdue = (int(counts.get(k, 0)) for k in ("on_time", "late", "overdue"))
        settled = on_time + late + overdue
        answered = g["hours"].dropna()
        rows.append(
            {
                "department_id": int(dept_id),
                "department": dept,
                "tasks": len(g),
                "answered": on_time + late,
                "on_time": on_time,
                "late": late,
                "open": int(counts.get("open", 0)) + overdue,
                "overdue": overdue,
                "on_time_rate": on_time / settled if settled else None,
                "median_hours": float(answered.median()) if len(answered) else None,
            }
        )
    return pd.DataFrame(rows, columns=cols).sort_values(
        ["overdue", "tasks"], ascending=False, ignore_index=True
    )


def department_trend(tasks: pd.DataFrame) -> pd.DataFrame:
    """Weekly on-time rate per department, by the local week each task's deadline fell in."""
    cols = ["week", "department", "on_time_rate", "settled"]
    settled = (
        tasks[tasks["outcome"].isin(["on_time", "late", "overdue"])].copy() if not tasks.empty else tasks
    )
    if settled.empty:
        return pd.DataFrame(columns=cols)
    local = settled["due_at"].dt.tz_convert(LOCAL_TZ)
    settled["week"] = local.dt.floor("D") - pd.to_timedelta(local.dt.day_of_week, unit="D")
    grouped = settled.groupby(["week", "department"])["outcome"]
    out = grouped.apply(lambda s: (s == "on_time").mean()).rename("on_time_rate").reset_index()
    out["settled"] = grouped.size().values
    return out[cols]


# --- sources --------------------------------------------------------------------------------------------


def source_health(
    db: Database, now: datetime, *, failures_before_alert: int = 3, silent_after_hours: float = 24
) -> pd.DataFrame:
    today = local_midnight(now)
    week_ago = now - timedelta(days=7)
    with db.session() as s:
        rows = s.execute(
            select(
                Source.id,
                Source.key,
                Source.name,
                Source.kind,
                Source.enabled,
                Source.last_run_at,
                Source.last_success_at,
                Source.last_failure_at,
                Source.consecutive_failures,
                Source.last_item_at,
                Source.last_error,
                Source.items_total,
            ).order_by(Source.id)
        ).all()
        # One scan of the week's runs for the three figures (today is inside the week).
        is_today = CrawlRun.started_at >= today
        runs = s.execute(
            select(
                CrawlRun.source_id,
                func.sum(CrawlRun.items_new),
                func.sum(case((is_today, CrawlRun.items_new), else_=0)),
                func.sum(case((is_today, 1), else_=0)),
            )
            .where(CrawlRun.started_at >= min(week_ago, today))
            .group_by(CrawlRun.source_id)
        ).all()
        week = {r[0]: r[1] for r in runs}
        day = {r[0]: r[2] for r in runs}
        runs_today = {r[0]: r[3] for r in runs}
    df = _frame(
        rows,
        [
            "id",
            "key",
            "name",
            "kind",
            "enabled",
            "last_run_at",
            "last_success_at",
            "last_failure_at",
            "consecutive_failures",
            "last_item_at",
            "last_error",
            "items_total",
        ],
        times=["last_run_at", "last_success_at", "last_failure_at", "last_item_at"],
    )
    df["items_today"] = [int(day.get(i) or 0) for i in df["id"]]
    df["per_day_7d"] = [round(int(week.get(i) or 0) / 7, 1) for i in df["id"]]
    df["runs_today"] = [int(runs_today.get(i) or 0) for i in df["id"]]
    statuses = []
    now_ts = pd.Timestamp(now)
    for r in df.itertuples(index=False):
        if not r.enabled:
            statuses.append("停用")
        elif (r.consecutive_failures or 0) >= failures_before_alert:
            statuses.append("故障")
        elif pd.isna(r.last_success_at):
            statuses.append("未运行")
        elif pd.isna(r.last_item_at) or now_ts - r.last_item_at > pd.Timedelta(hours=silent_after_hours):
            statuses.append("静默")
        elif (r.consecutive_failures or 0) > 0:
            statuses.append("偶发失败")
        else:
            statuses.append("正常")
    df["health"] = statuses
    return df


def source_daily(db: Database, now: datetime, days: int = 14) -> pd.DataFrame:
    """New items stored per source and local day, from the crawl runs."""
    start = local_midnight(now) - timedelta(days=days - 1)
    with db.session() as s:
        rows = s.execute(
            select(CrawlRun.started_at, Source.name, CrawlRun.items_new)
            .join(Source, Source.id == CrawlRun.source_id)
            .where(CrawlRun.started_at >= start)
        ).all()
    df = _frame(rows, ["started_at", "source", "items"], times=["started_at"])
    if df.empty:
        return pd.DataFrame(columns=["day", "source", "items"])
    df["day"] = df["started_at"].dt.tz_convert(LOCAL_TZ).dt.floor("D")
    return df.groupby(["day", "source"], as_index=False)["items"].sum()


def crawl_runs_recent(db: Database, limit: int = 50) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(
                CrawlRun.id,
                Source.name,
                CrawlRun.started_at,
                CrawlRun.status,
                CrawlRun.trigger,
                CrawlRun.pages,
                CrawlRun.items_new,
                CrawlRun.items_updated,
                CrawlRun.errors,
                CrawlRun.duration_s,
                CrawlRun.error_message,
            )
            .join(Source, Source.id == CrawlRun.source_id)
            .order_by(CrawlRun.started_at.desc())
            .limit(limit)
        ).all()
    return _frame(
        rows,
        [
            "id",
            "source",
            "started_at",
            "status",
            "trigger",
            "pages",
            "items_new",
            "items_updated",
            "errors",
            "duration_s",
            "error_message",
        ],
        times=["started_at"],
    )


# --- reports --------------------------------------------------------------------------------------------


def report_list(db: Database, limit: int = 200) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(
                Report.id,
                Report.kind,
                Report.period_start,
                Report.period_end,
                Report.status,
                Report.requested_by,
                Report.generated_at,
                Report.docx_path,
                Report.html_path,
                Report.error,
            )
            .order_by(Report.period_start.desc(), Report.id.desc())
            .limit(limit)
        ).all()
    return _frame(
        rows,
        [
            "id",
            "kind",
            "period_start",
            "period_end",
            "status",
            "requested_by",
            "generated_at",
            "docx_path",
            "html_path",
            "error",
        ],
        times=["period_start", "period_end", "generated_at"],
    )


def report_file(db: Database, report_id: int, fmt: str, data_dir: Path) -> Path | None:
    """The stored file of a report (docx | html), only if it lies inside the data directory."""
    if fmt not in ("docx", "html"):
        return None
    with db.session() as s:
        row = s.execute(select(Report.docx_path, Report.html_path).where(Report.id == report_id)).first()
    if row is None:
        return None
    raw = row.docx_path if fmt == "docx" else row.html_path
    if not raw:
        return None
    path = Path(raw)
    if not path.is_absolute():
        path = data_dir / path
    try:
        resolved = path.resolve(strict=True)
        resolved.relative_to(data_dir.resolve())
    except (OSError, ValueError):
        return None
    return resolved if resolved.is_file() else None


# --- admin ----------------------------------------------------------------------------------------------


def users_frame(db: Database) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(
                User.id,
                User.username,
                User.display_name,
                User.role,
                User.email,
                User.active,
                User.last_login_at,
                User.failed_logins,
                User.locked_until,
                User.created_at,
            ).order_by(User.id)
        ).all()
    return _frame(
        rows,
        [
            "id",
            "username",
            "display_name",
            "role",
            "email",
            "active",
            "last_login_at",
            "failed_logins",
            "locked_until",
            "created_at",
        ],
        times=["last_login_at", "locked_until", "created_at"],
    )


def silences_frame(db: Database, now: datetime, limit: int = 200) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(
                Silence.id,
                Silence.fingerprint,
                Silence.starts_at,
                Silence.ends_at,
                Silence.reason,
                Silence.created_by,
            )
            .where(Silence.ends_at >= now - timedelta(days=7))
            .order_by(Silence.ends_at.desc())
            .limit(limit)
        ).all()
    df = _frame(
        rows,
        ["id", "fingerprint", "starts_at", "ends_at", "reason", "created_by"],
        times=["starts_at", "ends_at"],
    )
    df["active"] = [
        bool(st <= pd.Timestamp(now) < en) for st, en in zip(df["starts_at"], df["ends_at"], strict=True)
    ]
    return df


def open_fingerprints(db: Database) -> list[tuple[str, str]]:
    """(fingerprint, label) of open alerts, for the silence form."""
    with db.session() as s:
        rows = s.execute(
            select(Alert.fingerprint, Alert.title, Alert.level)
            .where(Alert.state.in_(OPEN_ALERT_STATES))
            .order_by(Alert.level.desc(), Alert.opened_at.desc())
            .limit(200)
        ).all()
    return [(fp, f"{mask(title or '')[:40]}（{fp}）") for fp, title, _ in rows]


def workdays_frame(db: Database, since: date | None = None) -> pd.DataFrame:
    with db.session() as s:
        query = select(
            WorkdayOverride.day,
            WorkdayOverride.is_workday,
            WorkdayOverride.note,
            WorkdayOverride.created_by,
            WorkdayOverride.created_at,
        ).order_by(WorkdayOverride.day.desc())
        if since is not None:
            query = query.where(WorkdayOverride.day >= since)
        rows = s.execute(query.limit(500)).all()
    return _frame(rows, ["day", "is_workday", "note", "created_by", "created_at"], times=["created_at"])


def audit_recent(db: Database, limit: int = 300) -> pd.DataFrame:
    with db.session() as s:
        rows = s.execute(
            select(
                AuditLog.at,
                AuditLog.actor,
                AuditLog.action,
                AuditLog.object_type,
                AuditLog.object_id,
                AuditLog.comment,
            )
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(limit)
        ).all()
    return _frame(rows, ["at", "actor", "action", "object_type", "object_id", "comment"], times=["at"])


def outbox_recent(db: Database, limit: int = 300) -> pd.DataFrame:
    """The newest rows of the mail outbox, so an administrator sees what went out, what waits and what failed."""
    with db.session() as s:
        rows = s.execute(
            select(
                Notification.id,
                Notification.created_at,
                Notification.kind,
                Notification.recipient,
                Notification.subject,
                Notification.status,
                Notification.attempts,
                Notification.next_attempt_at,
                Notification.sent_at,
                Notification.last_error,
            )
            .order_by(Notification.id.desc())
            .limit(limit)
        ).all()
    return _frame(
        rows,
        ["id", "created_at", "kind", "recipient", "subject", "status", "attempts", "next_attempt_at", "sent_at",
         "last_error"],
        times=["created_at", "next_attempt_at", "sent_at"],
    )  # fmt: skip


def local_day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, as UTC."""
    return ensure_utc(datetime(day.year, day.month, day.day, tzinfo=SHANGHAI))
