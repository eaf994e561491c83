"""Aggregate queries shared by the weekly report and the daily brief.

Every query selects only the columns it needs and groups in SQL where the backend can; what is left (medians,
JSON lists, peak hours) is done in pandas on small frames. Portable between SQLite and PostgreSQL: time
buckets are a CASE over bound UTC instants, never a backend date function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, String, and_, case, cast, func, not_, or_, select
from sqlalchemy.orm import Session

from core.clock import ensure_utc
from core.models import Alert, Department, Event, Item, ItemAnalysis, ResponseTask, Source
from core.privacy import mask

UNANALYZED = "unanalyzed"
NO_DEPARTMENT = "未指定部门"
NO_REGION = "未识别"
NO_TOPIC = "未分类"


def mask_text(text: str | None) -> str:
    """Masks personal data in citizen text that was not masked at analysis time (event titles, summaries)."""
    return mask(text or "")


def item_time() -> ColumnElement[datetime]:
    """When an item happened: its publication time, or when we fetched it if the source gives none."""
    return func.coalesce(Item.published_at, Item.fetched_at)


def item_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Items of [start, end). Written as an OR so that the published_at index serves both halves."""
    return or_(
        and_(Item.published_at >= start, Item.published_at < end),
        and_(Item.published_at.is_(None), Item.fetched_at >= start, Item.fetched_at < end),
    )


def slot_of(expr: ColumnElement[datetime], bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Index of the bucket [bounds[i], bounds[i+1]) that `expr` falls in (rows are filtered to the range)."""
    return case(*[(expr < b, i) for i, b in enumerate(bounds[1:])], else_=len(bounds) - 2)


def item_counts(session: Session, bounds: Sequence[datetime]) -> pd.DataFrame:
    """Counts of items per time slot and dimension.

    Columns: slot, kind, sentiment (UNANALYZED when not analyzed yet), risk_level, topic, region, n.
    """
    start, end = bounds[0], bounds[-1]
    inner = (
        select(
            slot_of(item_time(), bounds).label("slot"),
            Item.kind.label("kind"),
            func.coalesce(ItemAnalysis.sentiment, UNANALYZED).label("sentiment"),
            func.coalesce(ItemAnalysis.risk_level, 0).label("risk_level"),
            func.coalesce(ItemAnalysis.topic, "").label("topic"),
            func.coalesce(Item.region, "").label("region"),
        )
        .select_from(Item)
        .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(item_in(start, end))
        .subquery()
    )
    # Grouping over a subquery: PostgreSQL cannot match a GROUP BY expression that repeats bound parameters.
    cols = [inner.c.slot, inner.c.kind, inner.c.sentiment, inner.c.risk_level, inner.c.topic, inner.c.region]
    rows = session.execute(select(*cols, func.count().label("n")).group_by(*cols)).all()
    frame = pd.DataFrame(rows, columns=["slot", "kind", "sentiment", "risk_level", "topic", "region", "n"])
    return frame.astype({"slot": "int64", "risk_level": "int64", "n": "int64"})


@dataclass(frozen=True)
class ListRow:
    """An item of the range that has focus tags or monitoring-scheme hits (JSON lists in item_analysis)."""

    slot: int
    sentiment: str
    tags: list[Any]
    scheme_hits: list[Any]


def tag_and_scheme_rows(session: Session, bounds: Sequence[datetime]) -> list[ListRow]:
    """Items of the range with tags or scheme hits, in one pass. The emptiness test is on the stored text,
    which both backends keep as written ('[]'), so items without either never leave the database."""
    start, end = bounds[0], bounds[-1]
    empty = ["[]", "null"]
    stmt = (
        select(
            slot_of(item_time(), bounds),
            func.coalesce(ItemAnalysis.sentiment, UNANALYZED),
            ItemAnalysis.tags,
            ItemAnalysis.scheme_hits,
        )
        .select_from(Item)
        .join(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(
            item_in(start, end),
            or_(
                not_(cast(ItemAnalysis.tags, String).in_(empty)),
                not_(cast(ItemAnalysis.scheme_hits, String).in_(empty)),
            ),
        )
    )
    return [
        ListRow(int(slot), str(sent), list(tags or []), list(hits or []))
        for slot, sent, tags, hits in session.execute(stmt)
    ]


def tag_name(tag: Any) -> str:
    if isinstance(tag, dict):
        return str(tag.get("name") or tag.get("tag") or "")
    return str(tag)


def alerts_by_level(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    rows = session.execute(
        select(Alert.level, func.count())
        .where(Alert.opened_at >= start, Alert.opened_at < end)
        .group_by(Alert.level)
    ).all()
    return {int(level): int(n) for level, n in rows}


def event_counts(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """(events first seen in the range, events active in the range)."""
    new = session.scalar(
        select(func.count()).select_from(Event).where(Event.first_seen_at >= start, Event.first_seen_at < end)
    )
    active = session.scalar(
        select(func.count()).select_from(Event).where(Event.first_seen_at < end, Event.last_seen_at >= start)
    )
    return int(new or 0), int(active or 0)


# --- response timers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFigures:
    """Response timers of a period, judged at the period's end.

    on_time / late: answered within the period, before / after the due time. overdue: not answered by the
    period's end and past due. in_progress: not answered, not yet due.
    """

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    in_progress: int = 0
    median_response_hours: float | None = None

    @property
    def judged(self) -> int:
        """Timers whose outcome is known at the period's end: answered, or already past due."""
        return self.on_time + self.late + self.overdue

    @property
    def open(self) -> int:
        return self.overdue + self.in_progress

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


@dataclass(frozen=True)
class TaskStats:
    """Timers that matter for [start, end) — answered in it, or still unanswered at its end — counted in SQL.

    counts: department_id, outcome (on_time | late | overdue | in_progress), n, warning (in-progress timers
    whose 黄灯 warning time has passed). hours: department_id, hours — the response time of every timer
    answered in the period, paused time excluded (only these rows leave the database).
    """

    counts: pd.DataFrame
    hours: pd.DataFrame


def _task_scope(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    # Answered in [start, end) or still open at `end` is: answered at or after `start`, or not answered.
    # Written this way both halves can use the answered_at index, so the cost follows the period, not history.
    not_before = or_(ResponseTask.answered_at >= start, ResponseTask.answered_at.is_(None))
    return [ResponseTask.state != "cancelled", ResponseTask.started_at < end, not_before]


def task_stats(session: Session, start: datetime, end: datetime) -> TaskStats:
    answered = and_(ResponseTask.answered_at.is_not(None), ResponseTask.answered_at < end)
    outcome = case(
        (and_(answered, ResponseTask.answered_at > ResponseTask.due_at), "late"),
        (answered, "on_time"),
        (ResponseTask.due_at < end, "overdue"),
        else_="in_progress",
    )
    warning = case(
        (and_(not_(answered), ResponseTask.due_at >= end, ResponseTask.warn_at <= end), 1),
        else_=0,
    )
    inner = (
        select(
            ResponseTask.department_id.label("department_id"), outcome.label("outcome"), warning.label("w")
        )
        .where(*_task_scope(start, end))
        .subquery()
    )
    rows = session.execute(
        select(inner.c.department_id, inner.c.outcome, func.count(), func.sum(inner.c.w)).group_by(
            inner.c.department_id, inner.c.outcome
        )
    ).all()
    counts = pd.DataFrame(
        [(d, o, int(n), int(w or 0)) for d, o, n, w in rows],
        columns=["department_id", "outcome", "n", "warning"],
    )
    answered_rows = session.execute(
        select(
            ResponseTask.department_id,
            ResponseTask.started_at,
            ResponseTask.answered_at,
            ResponseTask.paused_seconds,
        ).where(
            ResponseTask.state != "cancelled",
            ResponseTask.started_at < end,
            ResponseTask.answered_at >= start,
            ResponseTask.answered_at < end,
        )
    ).all()
    frame = pd.DataFrame(answered_rows, columns=["department_id", "started_at", "answered_at", "paused"])
    if frame.empty:
        hours = pd.DataFrame({"department_id": pd.Series(dtype=object), "hours": pd.Series(dtype=float)})
    else:
        # Naive values (SQLite) are UTC; pandas localises them, and converts aware ones (PostgreSQL).
        elapsed = pd.to_datetime(frame["answered_at"], utc=True) - pd.to_datetime(
            frame["started_at"], utc=True
        )
        seconds = elapsed.dt.total_seconds() - frame["paused"].fillna(0).astype(float)
        hours = pd.DataFrame(
            {"department_id": frame["department_id"], "hours": (seconds / 3600).clip(lower=0)}
        )
    return TaskStats(counts, hours)


def task_figures(stats: TaskStats) -> TaskFigures:
    by_outcome = (
        stats.counts.groupby("outcome")["n"].sum() if not stats.counts.empty else pd.Series(dtype=int)
    )
    median = stats.hours["hours"].median() if not stats.hours.empty else None
    return TaskFigures(
        on_time=int(by_outcome.get("on_time", 0)),
        late=int(by_outcome.get("late", 0)),
        overdue=int(by_outcome.get("overdue", 0)),
        in_progress=int(by_outcome.get("in_progress", 0)),
        median_response_hours=None if median is None or pd.isna(median) else float(median),
    )


def department_names(session: Session) -> dict[int, str]:
    return {int(i): str(n) for i, n in session.execute(select(Department.id, Department.name))}


def source_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        int(i): str(n)
        for i, n in session.execute(select(Source.id, Source.name).where(Source.id.in_(wanted)))
    }


@dataclass(frozen=True)
class TaskSubject:
    """What a timer is about, for lists: a masked title and the kind of thing it is."""

    title: str
    kind: str  # hotline | board | news | event


def task_subjects(
    session: Session, item_ids: Iterable[int], event_ids: Iterable[int]
) -> dict[str, TaskSubject]:
    """Keys 'item:<id>' and 'event:<id>'. Titles are the analysis's masked titles where they exist."""
    out: dict[str, TaskSubject] = {}
    items = sorted({int(i) for i in item_ids})
    if items:
        for item_id, kind, title, masked in session.execute(
            select(Item.id, Item.kind, Item.title, ItemAnalysis.title_masked)
            .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .where(Item.id.in_(items))
        ):
            out[f"item:{item_id}"] = TaskSubject(masked or mask_text(title), str(kind))
    events = sorted({int(i) for i in event_ids})
    if events:
        for event_id, title in session.execute(select(Event.id, Event.title).where(Event.id.in_(events))):
            out[f"event:{event_id}"] = TaskSubject(mask_text(title), "event")
    return out


def subject_key(item_id: Any, event_id: Any) -> str:
    if item_id is not None and not pd.isna(item_id):
        return f"item:{int(item_id)}"
    if event_id is not None and not pd.isna(event_id):
        return f"event:{int(event_id)}"
    return ""


@dataclass(frozen=True)
class OverdueTask:
    department: str
    title: str
    kind: str
    started_at: datetime
    due_at: datetime
    overdue_hours: float


def overdue_tasks(
    session: Session, start: datetime, end: datetime, limit: int, *, total: int | None = None
) -> tuple[list[OverdueTask], int]:
    """Timers past due and unanswered at `end`, the longest overdue first (at most `limit`); and how many more.
    `total` is the number of such timers when the caller has counted them already (task_stats)."""
    where = [
        *_task_scope(start, end),
        or_(ResponseTask.answered_at.is_(None), ResponseTask.answered_at >= end),
        ResponseTask.due_at < end,
    ]
    if total is None:
        total = int(session.scalar(select(func.count()).select_from(ResponseTask).where(*where)) or 0)
    rows = session.execute(
        select(
            ResponseTask.department_id,
            ResponseTask.item_id,
            ResponseTask.event_id,
            ResponseTask.started_at,
            ResponseTask.due_at,
        )
        .where(*where)
        .order_by(ResponseTask.due_at, ResponseTask.id)
        .limit(limit)
    ).all()
    subjects = task_subjects(
        session,
        [r.item_id for r in rows if r.item_id],
        [r.event_id for r in rows if not r.item_id and r.event_id],
    )
    names = department_names(session)
    out = []
    for r in rows:
        subject = subjects.get(subject_key(r.item_id, r.event_id), TaskSubject("（无标题）", ""))
        due = ensure_utc(r.due_at)
        out.append(
            OverdueTask(
                department=names.get(r.department_id, NO_DEPARTMENT) if r.department_id else NO_DEPARTMENT,
                title=subject.title,
                kind=subject.kind,
                started_at=ensure_utc(r.started_at),
                due_at=due,
                overdue_hours=(end - due).total_seconds() / 3600,
            )
        )
    return out, max(0, total - limit)


# --- events ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventDigest:
    """One event as the reports show it. Text fields are masked."""

    id: int
    title: str
    topic: str
    region: str
    risk_level: int
    risk_score: float
    first_seen_at: datetime
    last_seen_at: datetime
    first_source: str
    first_text: str  # the first item's masked text, for the summary
    item_count: int
    source_count: int
    kind_counts: dict[str, int]
    sentiment: dict[str, int]  # negative / neutral / positive
    peak_hour: datetime | None  # start of the local hour with most items (UTC)
    peak_count: int
    handling: str  # on_time | late | overdue | in_progress | resolved | alerting | none
    status: str


def event_digests(
    session: Session, start: datetime, end: datetime, *, limit: int, new_only: bool = False
) -> list[EventDigest]:
    """Events of the range ranked by risk level, risk score, then reach (items); judged at `end`."""
    where = (
        [Event.first_seen_at < end, Event.first_seen_at >= start]
        if new_only
        else [
            Event.first_seen_at < end,
            Event.last_seen_at >= start,
        ]
    )
    events = session.execute(
        select(
            Event.id,
            Event.title,
            Event.topic,
            Event.region,
            Event.risk_level,
            Event.risk_score,
            Event.first_seen_at,
            Event.last_seen_at,
            Event.first_source_id,
            Event.first_item_id,
            Event.item_count,
            Event.source_count,
            Event.kind_counts,
            Event.neg_count,
            Event.neu_count,
            Event.pos_count,
            Event.status,
        )
        .where(*where)
        .order_by(Event.risk_level.desc(), Event.risk_score.desc(), Event.item_count.desc(), Event.id)
        .limit(limit)
    ).all()
    if not events:
        return []
    ids = [e.id for e in events]
    item_rows = session.execute(
        select(Item.id, Item.event_id, Item.kind, Item.source_id, item_time(), ItemAnalysis.sentiment)
        .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(Item.event_id.in_(ids))
    ).all()
    items = pd.DataFrame(item_rows, columns=["id", "event_id", "kind", "source_id", "ts", "sentiment"])
    if not items.empty:
        items["ts"] = pd.to_datetime(items["ts"].map(ensure_utc), utc=True)
    first_ids = {}
    for e in events:
        mine = items[items["event_id"] == e.id] if not items.empty else items
        first_ids[e.id] = e.first_item_id or (
            int(mine.sort_values(["ts", "id"])["id"].iloc[0]) if len(mine) else None
        )
    texts = _first_texts(session, [i for i in first_ids.values() if i])
    sources = source_names(session, [e.first_source_id for e in events if e.first_source_id])
    handling = _event_handling(session, ids, items, end)
    out = []
    for e in events:
        mine = items[items["event_id"] == e.id] if not items.empty else items
        peak_hour, peak_count = _peak_hour(mine["ts"]) if len(mine) else (None, 0)
        if len(mine):
            kinds = {str(k): int(v) for k, v in mine["kind"].value_counts().items()}
            sent = mine["sentiment"].fillna(UNANALYZED).value_counts()
            sentiment = {s: int(sent.get(s, 0)) for s in ("negative", "neutral", "positive")}
            item_count = max(int(e.item_count or 0), len(mine))
            source_count = max(int(e.source_count or 0), int(mine["source_id"].nunique()))
        else:
            kinds = {str(k): int(v) for k, v in (e.kind_counts or {}).items()}
            sentiment = {"negative": e.neg_count, "neutral": e.neu_count, "positive": e.pos_count}
            item_count, source_count = int(e.item_count or 0), int(e.source_count or 0)
        first_source = sources.get(e.first_source_id, "") if e.first_source_id else ""
        if not first_source and len(mine):
            first = mine.sort_values(["ts", "id"]).iloc[0]
            first_source = source_names(session, [int(first["source_id"])]).get(int(first["source_id"]), "")
        out.append(
            EventDigest(
                id=e.id,
                title=mask_text(e.title),
                topic=e.topic or "",
                region=e.region or "",
                risk_level=int(e.risk_level or 0),
                risk_score=float(e.risk_score or 0.0),
                first_seen_at=ensure_utc(e.first_seen_at),
                last_seen_at=ensure_utc(e.last_seen_at),
                first_source=first_source,
                first_text=texts.get(first_ids[e.id] or -1, ""),
                item_count=item_count,
                source_count=source_count,
                kind_counts=kinds,
                sentiment=sentiment,
                peak_hour=peak_hour,
                peak_count=peak_count,
                handling=handling.get(e.id, "none"),
                status=e.status or "open",
            )
        )
    return out


def _first_texts(session: Session, item_ids: list[int]) -> dict[int, str]:
    if not item_ids:
        return {}
    out = {}
    for item_id, title, content, t_masked, c_masked in session.execute(
        select(Item.id, Item.title, Item.content, ItemAnalysis.title_masked, ItemAnalysis.content_masked)
        .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
        .where(Item.id.in_(item_ids))
    ):
        if t_masked or c_masked:
            out[int(item_id)] = (c_masked or t_masked or "").strip()
        else:
            out[int(item_id)] = mask_text(content or title).strip()
    return out


def _peak_hour(ts: pd.Series) -> tuple[datetime | None, int]:
    """The local hour with the most items (ties: the earliest); returned as the hour's UTC start."""
    hours = ts.dt.tz_convert("Asia/Shanghai").dt.floor("h")
    counts = hours.value_counts()
    top = int(counts.max())
    peak = min(h for h, n in counts.items() if n == top)
    return peak.tz_convert("UTC").to_pydatetime(), top


def _event_handling(
    session: Session, event_ids: list[int], items: pd.DataFrame, end: datetime
) -> dict[int, str]:
    """One word per event for how it was handled by `end`: the worst timer outcome, else the alert state.

    Timers hang on the event itself or on its items; two queries (by event id, by item id through the
    (item_id, kind) unique index) instead of one OR across a join, which would scan every timer."""
    columns = (ResponseTask.due_at, ResponseTask.answered_at)
    scope = (ResponseTask.state != "cancelled", ResponseTask.started_at < end)
    tasks: list[tuple[int, Any, Any]] = [
        (int(e or 0), due, answered)
        for e, due, answered in session.execute(
            select(ResponseTask.event_id, *columns).where(*scope, ResponseTask.event_id.in_(event_ids))
        )
    ]
    if not items.empty:
        event_of = dict(zip(items["id"].astype(int), items["event_id"].astype(int), strict=True))
        ids = list(event_of)
        for i in range(0, len(ids), 5000):
            tasks += [
                (event_of[int(item_id or 0)], due, answered)
                for item_id, due, answered in session.execute(
                    select(ResponseTask.item_id, *columns).where(
                        *scope, ResponseTask.item_id.in_(ids[i : i + 5000])
                    )
                )
            ]
    rank = {"overdue": 4, "in_progress": 3, "late": 2, "on_time": 1}
    out: dict[int, str] = {}
    for event_id, due_at, answered_at in tasks:
        due = ensure_utc(due_at)
        answered = ensure_utc(answered_at) if answered_at is not None else None
        if answered is not None and answered < end:
            outcome = "late" if answered > due else "on_time"
        else:
            outcome = "overdue" if due < end else "in_progress"
        if rank[outcome] > rank.get(out.get(int(event_id), ""), 0):
            out[int(event_id)] = outcome
    missing = [i for i in event_ids if i not in out]
    if missing:
        for alert_event, resolved_at in session.execute(
            select(Alert.event_id, Alert.resolved_at).where(
                Alert.event_id.in_(missing), Alert.opened_at < end
            )
        ):
            if alert_event is None:
                continue
            event_id = int(alert_event)
            state = "resolved" if resolved_at is not None and ensure_utc(resolved_at) < end else "alerting"
            if out.get(int(event_id)) != "alerting":
                out[int(event_id)] = state
    return out


# --- alerts still open --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAlert:
    id: int
    level: int
    title: str
    opened_at: datetime
    state: str  # now
    acknowledged: bool  # by the cut-off time

    @property
    def state_then(self) -> str:
        """The state at the cut-off: an alert resolved since was still being handled then."""
        if self.state != "resolved":
            return self.state
        return "acknowledged" if self.acknowledged else "triggered"


def open_alerts(session: Session, end: datetime, limit: int) -> tuple[list[OpenAlert], dict[int, int]]:
    """Alerts open at `end` (opened before it, not resolved by it): the highest levels first, and the count
    per level of all of them."""
    where = [Alert.opened_at < end, or_(Alert.resolved_at.is_(None), Alert.resolved_at >= end)]
    per_level = {
        int(level): int(n)
        for level, n in session.execute(select(Alert.level, func.count()).where(*where).group_by(Alert.level))
    }
    rows = session.execute(
        select(Alert.id, Alert.level, Alert.title, Alert.opened_at, Alert.state, Alert.acknowledged_at)
        .where(*where)
        .order_by(Alert.level.desc(), Alert.opened_at)
        .limit(limit)
    ).all()
    alerts = [
        OpenAlert(
            id=r.id,
            level=int(r.level),
            title=mask_text(r.title),
            opened_at=ensure_utc(r.opened_at),
            state=r.state,
            acknowledged=r.acknowledged_at is not None and ensure_utc(r.acknowledged_at) < end,
        )
        for r in rows
    ]
    return alerts, per_level


@dataclass(frozen=True)
class Counted:
    """A name with its count in this period and the previous one."""

    name: str
    count: int
    previous: int = 0

    @property
    def change(self) -> int:
        return self.count - self.previous


def counted(current: Counter[str], previous: Counter[str], *, top: int | None = None) -> list[Counted]:
    names = sorted(set(current) | set(previous), key=lambda n: (-current.get(n, 0), -previous.get(n, 0), n))
    rows = [Counted(n, current.get(n, 0), previous.get(n, 0)) for n in names]
    return rows[:top] if top else rows


def hour_bounds(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(hours + 1)]
