"""Response timers (限时办结 / 回应时限): which rule applies, due and warn times on the working-day calendar,
pause/resume, extensions, answers (by staff or found by the crawler), 黄灯/红灯 and 催办 reminders.

The pure part (`timer_view`, `format_remaining`) is what the dashboard shows; `sync_timers` is the job step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from alerts import audit
from alerts.content import MailContent, render_timer_mail
from alerts.notify.outbox import enqueue
from core.clock import ensure_utc
from core.levels import Level
from core.models import Department, Event, Item, ResponseTask, Source
from core.settings import AppConfig, TimerRule, TimersFile
from core.workdays import Hours, WorkCalendar, hours_to_mapping, load_overrides

logger = logging.getLogger(__name__)

WORKING_UNITS = ("working_hours", "working_days")
OPEN_STATES = ("running", "paused")
UNIT_LABELS = {"hours": "小时", "working_hours": "工作小时", "working_days": "个工作日", "natural_days": "天"}
STATE_LABELS = {
    "normal": "正常",
    "warning": "黄灯",
    "overdue": "红灯",
    "answered": "已答复",
    "paused": "暂停",
}


# --- the pure view ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerView:
    """What a person sees of a timer at one moment."""

    state: str  # normal | warning | overdue | answered | paused | cancelled
    remaining: timedelta  # until due (negative when overdue); frozen while paused; time left when answered
    share_used: float  # share of the limit used so far (natural time), may exceed 1
    label: str  # 正常 / 黄灯 / 红灯 / 已答复 / 暂停
    remaining_text: str  # 剩余 2天3小时 / 超期 5小时


def timer_view(
    state: str,
    started_at: datetime,
    due_at: datetime,
    warn_at: datetime | None,
    now: datetime,
    *,
    paused_at: datetime | None = None,
    answered_at: datetime | None = None,
) -> TimerView:
    """The timer's light and remaining time at `now` from the row's values (no database, no calendar)."""
    started, due = ensure_utc(started_at), ensure_utc(due_at)
    now = ensure_utc(now)
    if state == "answered" and answered_at is not None:
        at = ensure_utc(answered_at)
        light = "answered"
    elif state == "cancelled":
        at = now
        light = "cancelled"
    elif state == "paused":
        at = ensure_utc(paused_at) if paused_at is not None else now
        light = "paused"
    else:
        at = now
        if at >= due:
            light = "overdue"
        elif warn_at is not None and at >= ensure_utc(warn_at):
            light = "warning"
        else:
            light = "normal"
    remaining = due - at
    total = (due - started).total_seconds()
    share = (at - started).total_seconds() / total if total > 0 else 1.0
    label = STATE_LABELS.get(light, "已取消")
    return TimerView(light, remaining, share, label, format_remaining(remaining))


def format_remaining(remaining: timedelta) -> str:
    """'剩余 2天3小时', '剩余 45分钟', '超期 5小时'."""
    seconds = int(remaining.total_seconds())
    prefix = "剩余" if seconds >= 0 else "超期"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}天{hours}小时" if hours else f"{days}天"
    elif hours:
        text = f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    else:
        text = f"{minutes}分钟"
    return f"{prefix} {text}"


# --- rules and limits -------------------------------------------------------------------------------------


def rule_for_item(rules: Sequence[TimerRule], kind: str, request_type: str | None) -> TimerRule | None:
    """The first rule (file order) for this source kind whose request types include the item's (or any)."""
    for rule in rules:
        if rule.applies_to != kind:
            continue
        if not rule.request_types or (request_type and request_type in rule.request_types):
            return rule
    return None


def rules_for_event(rules: Sequence[TimerRule], level: int) -> list[TimerRule]:
    """Every event rule at or below the event's level, only the first (file order) of each group."""
    chosen: list[TimerRule] = []
    groups: set[str] = set()
    for rule in rules:
        if rule.applies_to != "event" or rule.min_level is None or level < Level.parse(rule.min_level):
            continue
        group = rule.group or rule.name
        if group in groups:
            continue
        groups.add(group)
        chosen.append(rule)
    return chosen


def limit_spec(rule: TimerRule, timers: TimersFile) -> dict[str, Any]:
    """The rule as copied onto the task: later edits of timers.yaml do not move running clocks."""
    return {
        "rule": rule.name,
        "label": rule.label or rule.name,
        "group": rule.group or rule.name,
        "unit": rule.unit,
        "amount": rule.amount,
        "max_extension": rule.max_extension,
        "extended": 0.0,
        "warn_at_share": rule.warn_at_share or timers.warn_at_share,
        "remind_every_hours": timers.remind_every_hours,
        "working_hours": hours_to_mapping(timers.working_hours),
    }


def calendar_for(spec: Mapping[str, Any], overrides: Mapping[Any, bool]) -> WorkCalendar:
    return WorkCalendar(overrides, Hours.from_mapping(spec.get("working_hours") or {}))


class Calendars:
    """One WorkCalendar per working-hours setting for a pass, so their day caches are shared by every task."""

    def __init__(self, overrides: Mapping[Any, bool]) -> None:
        self.overrides = dict(overrides)
        self._by_hours: dict[tuple[tuple[str, Any], ...], WorkCalendar] = {}

    def for_spec(self, spec: Mapping[str, Any]) -> WorkCalendar:
        key = tuple(sorted((spec.get("working_hours") or {}).items()))
        cal = self._by_hours.get(key)
        if cal is None:
            cal = self._by_hours[key] = calendar_for(spec, self.overrides)
        return cal


def add_amount(cal: WorkCalendar, start: datetime, unit: str, amount: float) -> datetime:
    if unit == "working_days":
        return cal.add_working_days(start, amount)
    if unit == "working_hours":
        return cal.add_working_hours(start, amount)
    if unit == "natural_days":
        return ensure_utc(start) + timedelta(days=amount)
    return ensure_utc(start) + timedelta(hours=amount)


def warn_time(cal: WorkCalendar, start: datetime, due: datetime, unit: str, share: float) -> datetime:
    """The 黄灯 moment: `share` of the limit, measured in the unit's kind of time."""
    if unit in WORKING_UNITS:
        return cal.add_working_hours(start, cal.working_time_between(start, due) * share)
    return ensure_utc(start) + (ensure_utc(due) - ensure_utc(start)) * share


def lost_time(cal: WorkCalendar, unit: str, since: datetime, until: datetime) -> timedelta:
    """Time that did not count while a timer was paused, in the unit's kind of time."""
    if unit in WORKING_UNITS:
        return cal.working_time_between(since, until)
    return ensure_utc(until) - ensure_utc(since)


def shift(cal: WorkCalendar, unit: str, moment: datetime, by: timedelta) -> datetime:
    if unit in WORKING_UNITS:
        return cal.add_working_hours(moment, by)
    return ensure_utc(moment) + by


# --- mutations shared by the job and by alerts.actions -----------------------------------------------------


def new_task(
    cal: WorkCalendar,
    spec: dict[str, Any],
    start: datetime,
    now: datetime,
    *,
    item_id: int | None = None,
    event_id: int | None = None,
    department_id: int | None = None,
) -> ResponseTask:
    due = add_amount(cal, start, spec["unit"], float(spec["amount"]))
    return ResponseTask(
        item_id=item_id,
        event_id=event_id,
        department_id=department_id,
        kind=spec["rule"],
        limit_spec=spec,
        started_at=start,
        due_at=due,
        warn_at=warn_time(cal, start, due, spec["unit"], float(spec["warn_at_share"])),
        state="running",
        paused_seconds=0.0,
        extensions=0,
        updated_at=now,
    )


def mark_answered(task: ResponseTask, at: datetime, by: str, text: str | None, now: datetime) -> None:
    if task.state == "paused" and task.paused_at is not None:
        # A reply while paused ends the pause where the reply came.
        task.paused_seconds += max(0.0, (ensure_utc(at) - ensure_utc(task.paused_at)).total_seconds())
        task.paused_at = None
    task.state = "answered"
    task.answered_at = at
    task.answered_by = by
    task.answer_text = text
    task.updated_at = now


def pause(task: ResponseTask, now: datetime) -> None:
    task.state = "paused"
    task.paused_at = now
    task.updated_at = now


def resume(task: ResponseTask, cal: WorkCalendar, now: datetime) -> timedelta:
    """Leave the pause: due and warn times move by the time that did not count."""
    paused_at = ensure_utc(task.paused_at) if task.paused_at else now
    unit = str(task.limit_spec.get("unit", "hours"))
    lost = lost_time(cal, unit, paused_at, now)
    if lost > timedelta(0):
        task.due_at = shift(cal, unit, ensure_utc(task.due_at), lost)
        if task.warn_at is not None:
            task.warn_at = shift(cal, unit, ensure_utc(task.warn_at), lost)
    task.paused_seconds += lost.total_seconds()
    task.paused_at = None
    task.state = "running"
    task.updated_at = now
    return lost


def extend(task: ResponseTask, cal: WorkCalendar, amount: float, now: datetime) -> None:
    """An approved extension: due_at moves by `amount` in the rule's unit, capped by max_extension."""
    spec = dict(task.limit_spec)
    if task.state not in OPEN_STATES:
        raise ValueError("只能延长未办结的时限")
    if amount <= 0:
        raise ValueError("延期量必须大于 0")
    cap = float(spec.get("max_extension") or 0)
    used = float(spec.get("extended") or 0)
    if used + amount > cap + 1e-9:
        unit = UNIT_LABELS.get(str(spec.get("unit")), "")
        raise ValueError(f"延期超过上限：最多可延长 {cap:g}{unit}，已延长 {used:g}{unit}")
    unit_name = str(spec["unit"])
    task.due_at = add_amount(cal, ensure_utc(task.due_at), unit_name, amount)
    task.warn_at = warn_time(
        cal, ensure_utc(task.started_at), task.due_at, unit_name, float(spec["warn_at_share"])
    )
    spec["extended"] = used + amount
    task.limit_spec = spec  # a new dict, so SQLAlchemy sees the change
    task.extensions += 1
    # The lights start again from the new deadline.
    if task.warned_at is not None and ensure_utc(task.warn_at) > now:
        task.warned_at = None
    if task.overdue_at is not None and ensure_utc(task.due_at) > now:
        task.overdue_at = None
        task.reminded_at = None
    task.updated_at = now


# --- the job step -----------------------------------------------------------------------------------------


@dataclass
class TimerCounts:
    created: int = 0
    answered: int = 0
    paused: int = 0
    resumed: int = 0
    warned: int = 0
    overdue: int = 0
    reminded: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def sync_timers(session: Session, config: AppConfig, now: datetime) -> TimerCounts:
    """One pass: start timers for new hotline/board items and risky events, follow pause states and replies,
    then 黄灯, 红灯 and 催办 notifications (written to the outbox in this transaction)."""
    counts = TimerCounts()
    calendars = Calendars(load_overrides(session))
    _create_item_tasks(session, config, now, calendars, counts)
    _create_event_tasks(session, config, now, calendars, counts)
    _follow_items(session, config, now, calendars, counts)
    _notify(session, config, now, counts)
    return counts


def _create_item_tasks(
    session: Session, config: AppConfig, now: datetime, calendars: Calendars, counts: TimerCounts
) -> None:
    timers = config.timers
    kinds = sorted({r.applies_to for r in timers.rules if r.applies_to != "event"})
    if not kinds:
        return
    oldest = now - timedelta(days=timers.max_age_days)
    rows = session.execute(
        select(
            Item.id,
            Item.kind,
            Item.request_type,
            Item.published_at,
            Item.fetched_at,
            Item.department_id,
            Item.reply_status,
            Item.reply_at,
            Item.reply_text,
            Item.deleted_at,
        )
        .outerjoin(ResponseTask, ResponseTask.item_id == Item.id)
        .where(ResponseTask.id.is_(None), Item.kind.in_(kinds), Item.fetched_at >= oldest)
        .order_by(Item.id)
    ).all()
    for row in rows:
        if row.deleted_at is not None:
            continue
        published = ensure_utc(row.published_at or row.fetched_at)
        if published < oldest:
            continue
        rule = rule_for_item(timers.rules, row.kind, row.request_type)
        if rule is None:
            continue
        spec = limit_spec(rule, timers)
        cal = calendars.for_spec(spec)
        start = min(published, now)
        task = new_task(cal, spec, start, now, item_id=row.id, department_id=row.department_id)
        if row.reply_status == "replied":
            reply_at = ensure_utc(row.reply_at) if row.reply_at else now
            mark_answered(task, reply_at, "crawler", row.reply_text, now)
        session.add(task)
        counts.created += 1


def _create_event_tasks(
    session: Session, config: AppConfig, now: datetime, calendars: Calendars, counts: TimerCounts
) -> None:
    timers = config.timers
    event_rules = [r for r in timers.rules if r.applies_to == "event" and r.min_level]
    if not event_rules:
        return
    lowest = min(Level.parse(r.min_level or "I") for r in event_rules)
    since = now - timedelta(hours=timers.event_lookback_hours)
    events = session.execute(
        select(Event.id, Event.risk_level).where(
            Event.risk_level >= int(lowest), Event.last_seen_at >= since, Event.status == "open"
        )
    ).all()
    if not events:
        return
    event_ids = [e.id for e in events]
    existing: dict[int, list[ResponseTask]] = {}
    for task in session.scalars(select(ResponseTask).where(ResponseTask.event_id.in_(event_ids))):
        if task.event_id is not None:
            existing.setdefault(task.event_id, []).append(task)
    order = {r.name: i for i, r in enumerate(timers.rules)}
    for event_id, level in events:
        tasks = existing.get(event_id, [])
        department_id = next((t.department_id for t in tasks if t.department_id), None)
        for rule in rules_for_event(timers.rules, level):
            spec = limit_spec(rule, timers)
            same_group = [t for t in tasks if t.limit_spec.get("group", t.kind) == spec["group"]]
            if not same_group:
                cal = calendars.for_spec(spec)
                session.add(new_task(cal, spec, now, now, event_id=event_id, department_id=department_id))
                counts.created += 1
                continue
            # The event rose to a level with a stricter rule of the same group (48 h -> 24 h): the running
            # clock keeps its start and takes the stricter limit.
            task = same_group[0]
            if (
                task.kind != rule.name
                and task.state in OPEN_STATES
                and order[rule.name] < order.get(task.kind, 1 << 30)
            ):
                cal = calendars.for_spec(spec)
                start = ensure_utc(task.started_at)
                due = add_amount(cal, start, spec["unit"], float(spec["amount"]))
                if due < ensure_utc(task.due_at):
                    previous = task.kind
                    task.kind = rule.name
                    task.limit_spec = spec
                    task.due_at = due
                    task.warn_at = warn_time(cal, start, due, spec["unit"], float(spec["warn_at_share"]))
                    task.updated_at = now
                    audit.record(
                        session,
                        now,
                        audit.SYSTEM,
                        "timer.tighten",
                        "response_task",
                        task.id,
                        detail={"from": previous, "to": rule.name},
                    )


def _follow_items(
    session: Session, config: AppConfig, now: datetime, calendars: Calendars, counts: TimerCounts
) -> None:
    """Replies found by the crawler stop the clock at reply_at; pause states pause it; deletions cancel it."""
    pause_states = set(config.timers.pause_states)
    # Columns only: most open timers need nothing, and loading each as an ORM object (JSON limit_spec
    # included) would dominate the pass.
    rows = session.execute(
        select(
            ResponseTask.id,
            ResponseTask.state,
            ResponseTask.department_id.label("task_department_id"),
            Item.reply_status,
            Item.reply_at,
            Item.reply_text,
            Item.source_status,
            Item.department_id,
            Item.deleted_at,
        )
        .join(Item, Item.id == ResponseTask.item_id)
        .where(ResponseTask.state.in_(OPEN_STATES))
    ).all()
    for row in rows:
        in_pause = bool(row.source_status) and row.source_status in pause_states
        if not (
            (row.task_department_id is None and row.department_id is not None)
            or row.deleted_at is not None
            or row.reply_status == "replied"
            or (row.state == "running") == in_pause
        ):
            continue
        task = session.get(ResponseTask, row.id)
        if task is None:
            continue
        reply_status, reply_at, reply_text = row.reply_status, row.reply_at, row.reply_text
        source_status, department_id, deleted_at = row.source_status, row.department_id, row.deleted_at
        if task.department_id is None and department_id is not None:
            task.department_id = department_id
        if deleted_at is not None:
            task.state = "cancelled"
            task.updated_at = now
            audit.record(
                session,
                now,
                audit.SYSTEM,
                "timer.cancel",
                "response_task",
                task.id,
                comment="来源已删除该记录",
            )
            continue
        if reply_status == "replied":
            at = ensure_utc(reply_at) if reply_at else now
            mark_answered(task, min(at, now), "crawler", reply_text, now)
            audit.record(
                session,
                now,
                "crawler",
                "timer.answer",
                "response_task",
                task.id,
                detail={"answered_at": at.isoformat()},
            )
            counts.answered += 1
            continue
        if task.state == "running" and in_pause:
            pause(task, now)
            audit.record(
                session,
                now,
                audit.SYSTEM,
                "timer.pause",
                "response_task",
                task.id,
                detail={"source_status": source_status},
            )
            counts.paused += 1
        elif task.state == "paused" and not in_pause:
            lost = resume(task, calendars.for_spec(task.limit_spec), now)
            audit.record(
                session,
                now,
                audit.SYSTEM,
                "timer.resume",
                "response_task",
                task.id,
                detail={"source_status": source_status, "paused_seconds": lost.total_seconds()},
            )
            counts.resumed += 1


def _notify(session: Session, config: AppConfig, now: datetime, counts: TimerCounts) -> None:
    """黄灯 once, 红灯 once, then 催办 every remind_every_hours, to the responsible department."""
    remind_after = now - timedelta(hours=config.timers.remind_every_hours)
    tasks = session.scalars(
        select(ResponseTask).where(
            ResponseTask.state == "running",
            (ResponseTask.warn_at <= now) & ResponseTask.warned_at.is_(None) & (ResponseTask.due_at > now)
            | (ResponseTask.due_at <= now) & ResponseTask.overdue_at.is_(None)
            | (ResponseTask.due_at <= now) & (ResponseTask.reminded_at <= remind_after),
        )
    ).all()
    if not tasks:
        return
    duty = list(config.alerts.escalation[0].recipients)
    base_url = config.settings.effective_base_url
    for task in tasks:
        due = ensure_utc(task.due_at)
        kind: str | None = None
        batch = ""
        if due <= now:
            if task.overdue_at is None:
                kind, batch = "overdue", f"timer:{task.id}:overdue:{due:%Y%m%d%H%M}"
                task.overdue_at = now
                task.reminded_at = now
                counts.overdue += 1
            else:
                every = timedelta(hours=float(task.limit_spec.get("remind_every_hours") or 24))
                last = ensure_utc(task.reminded_at or task.overdue_at)
                if now - last >= every:
                    n = int((now - due) / every)
                    kind, batch = "remind", f"timer:{task.id}:remind:{due:%Y%m%d%H%M}:{n}"
                    task.reminded_at = now
                    counts.reminded += 1
        elif task.warn_at is not None and task.warned_at is None:
            kind, batch = "warning", f"timer:{task.id}:warn:{due:%Y%m%d%H%M}"
            task.warned_at = now
            counts.warned += 1
        if kind is None:
            continue
        task.updated_at = now
        recipients, fallbacks = _task_recipients(session, task, duty)
        mail = _timer_mail(session, task, kind, now, base_url)
        enqueue(
            session, now, batch=batch, kind="timer", recipients=recipients, mail=mail, fallbacks=fallbacks
        )
        audit.record(
            session,
            now,
            audit.SYSTEM,
            f"timer.{kind}",
            "response_task",
            task.id,
            detail={"recipients": recipients},
        )


def _task_recipients(session: Session, task: ResponseTask, duty: list[str]) -> tuple[list[str], list[str]]:
    """The responsible department's address, with the duty office as the fall-back (and the only one when the
    task has no department)."""
    if task.department_id is not None:
        email = session.scalar(select(Department.email).where(Department.id == task.department_id))
        if email:
            return [email], [d for d in duty if d != email]
    return duty, []


def _timer_mail(session: Session, task: ResponseTask, kind: str, now: datetime, base_url: str) -> MailContent:
    title, source_name, url, department = "", "", None, ""
    if task.item_id is not None:
        row = session.execute(
            select(Item.title, Item.url, Source.name)
            .join(Source, Source.id == Item.source_id)
            .where(Item.id == task.item_id)
        ).first()
        if row:
            title, url, source_name = row.title, row.url, row.name
    elif task.event_id is not None:
        title = session.scalar(select(Event.title).where(Event.id == task.event_id)) or ""
    if task.department_id is not None:
        department = session.scalar(select(Department.name).where(Department.id == task.department_id)) or ""
    view = timer_view(task.state, task.started_at, task.due_at, task.warn_at, now)
    link = f"{base_url}/alerts?task={task.id}"
    return render_timer_mail(
        kind=kind,
        label=str(task.limit_spec.get("label") or task.kind),
        title=title,
        source_name=source_name,
        url=url,
        department=department,
        started_at=ensure_utc(task.started_at),
        due_at=ensure_utc(task.due_at),
        remaining_text=view.remaining_text,
        link=link,
    )


def open_tasks_for(session: Session, *, event_id: int | None, item_id: int | None) -> list[ResponseTask]:
    """Running or paused tasks of an alert's event or item, earliest due first."""
    conditions = []
    if event_id is not None:
        conditions.append(ResponseTask.event_id == event_id)
    if item_id is not None:
        conditions.append(ResponseTask.item_id == item_id)
    if not conditions:
        return []
    where = conditions[0] if len(conditions) == 1 else (conditions[0] | conditions[1])
    return list(
        session.scalars(
            select(ResponseTask)
            .where(and_(where, ResponseTask.state.in_(OPEN_STATES)))
            .order_by(ResponseTask.due_at)
        )
    )
