"""The only write API the dashboard calls for alerts and timers: acknowledge, assign, respond, extend, resolve,
silence, leaders' instructions (批示) and answers. Each call is one transaction that checks the actor's role,
changes the row, writes the audit log and, where people must hear of it, the outbox.

Also the pure timer view the dashboard shows (`timer_view`), so the dashboard needs no other alerts module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts import audit
from alerts.content import alert_mail, department_name
from alerts.notify.outbox import enqueue
from alerts.timers import (
    OPEN_STATES,
    TimerView,
    calendar_for,
    format_remaining,
    mark_answered,
    open_tasks_for,
    timer_view,
)
from alerts.timers import extend as extend_task
from core.clock import Clock, ensure_utc, format_local
from core.db import Database
from core.errors import InputError, PermissionDenied, StateError
from core.models import ROLES, Alert, AuditLog, Department, ResponseTask, Silence
from core.workdays import load_overrides

__all__ = [
    "PERMISSIONS",
    "Actor",
    "TimerView",
    "acknowledge",
    "add_instruction",
    "answer_task",
    "assign",
    "can",
    "expire_silence",
    "extend_timer",
    "format_remaining",
    "record_response",
    "resolve",
    "silence",
    "timer_view",
]

# Who may do what. duty: view/acknowledge/assign/respond/resolve; leader: view, instructions, approve
# extensions; admin: everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"duty", "admin"}),
    "assign": frozenset({"duty", "admin"}),
    "record_response": frozenset({"duty", "admin"}),
    "answer_task": frozenset({"duty", "admin"}),
    "resolve": frozenset({"duty", "admin"}),
    "extend_timer": frozenset({"leader", "admin"}),
    "add_instruction": frozenset({"leader", "admin"}),
    "silence": frozenset({"admin"}),
    "expire_silence": frozenset({"admin"}),
}
ACTION_LABELS = {
    "acknowledge": "确认预警",
    "assign": "转办",
    "record_response": "登记回应",
    "answer_task": "登记答复",
    "resolve": "办结预警",
    "extend_timer": "批准延期",
    "add_instruction": "领导批示",
    "silence": "静默预警",
    "expire_silence": "解除静默",
}
OPEN_ALERT_STATES = ("triggered", "acknowledged", "responding")


@dataclass(frozen=True)
class Actor:
    username: str
    role: str  # duty | leader | admin


def can(actor: Actor, action: str) -> bool:
    """Whether the actor's role allows the action (the dashboard uses it to show or hide buttons)."""
    return actor.role in ROLES and actor.role in PERMISSIONS.get(action, frozenset())


def _require(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied(f"角色“{actor.role}”无权执行“{ACTION_LABELS.get(action, action)}”")


def _load_alert(session: Session, alert_id: int) -> Alert:
    alert = session.execute(select(Alert).where(Alert.id == alert_id).with_for_update()).scalar_one_or_none()
    if alert is None:
        raise StateError(f"预警 {alert_id} 不存在")
    return alert


def _load_task(session: Session, task_id: int) -> ResponseTask:
    task = session.execute(
        select(ResponseTask).where(ResponseTask.id == task_id).with_for_update()
    ).scalar_one_or_none()
    if task is None:
        raise StateError(f"回应时限 {task_id} 不存在")
    return task


def _require_open(alert: Alert) -> None:
    if alert.state == "resolved":
        raise StateError(f"预警 {alert.id} 已办结，不能再修改（新的触发会开启新的预警）")


def _take_over(alert: Alert, actor: Actor, now: datetime) -> None:
    """Acknowledge implicitly (assign/respond on an unacknowledged alert): escalation stops."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor.username
    alert.next_escalation_at = None


def _step_recipients(alert: Alert) -> list[str]:
    policy = alert.escalation_policy or []
    if not policy:
        return []
    step = policy[min(alert.escalation_step, len(policy) - 1)]
    return list(step.get("recipients") or [])


def acknowledge(db: Database, clock: Clock, actor: Actor, alert_id: int, comment: str = "") -> None:
    """triggered -> acknowledged; escalation stops."""
    _require(actor, "acknowledge")
    now = clock.now()
    with db.session() as session:
        alert = _load_alert(session, alert_id)
        if alert.state != "triggered":
            raise StateError(f"预警 {alert_id} 当前状态为“{alert.state}”，只能确认待确认的预警")
        alert.state = "acknowledged"
        _take_over(alert, actor, now)
        alert.updated_at = now
        audit.record(
            session,
            now,
            actor.username,
            "alert.acknowledge",
            "alert",
            alert_id,
            comment=comment,
            detail={"from": "triggered", "to": "acknowledged"},
        )


def assign(
    db: Database, clock: Clock, actor: Actor, alert_id: int, department_id: int, comment: str = ""
) -> None:
    """Hand the alert to a department (转办) -> responding; its timers now remind that department, which
    gets a mail in the same transaction."""
    _require(actor, "assign")
    now = clock.now()
    with db.session() as session:
        alert = _load_alert(session, alert_id)
        _require_open(alert)
        department = session.get(Department, department_id)
        if department is None:
            raise InputError(f"部门 {department_id} 不存在")
        previous = alert.state
        alert.state = "responding"
        alert.assigned_department_id = department_id
        _take_over(alert, actor, now)
        alert.updated_at = now
        for task in open_tasks_for(session, event_id=alert.event_id, item_id=alert.item_id):
            if task.event_id is not None or task.department_id is None:
                task.department_id = department_id
                task.updated_at = now
        audit.record(
            session,
            now,
            actor.username,
            "alert.assign",
            "alert",
            alert_id,
            comment=comment,
            detail={
                "from": previous,
                "to": "responding",
                "department_id": department_id,
                "department": department.name,
            },
        )
        if department.email:
            note = f"本预警已转办至{department.name}，请按回应时限办理。" + (
                f"转办意见：{comment}" if comment else ""
            )
            mail = alert_mail(session, alert, now, note=note, subject_suffix="（转办）")
            enqueue(
                session,
                now,
                batch=f"alert:{alert_id}:assign:{department_id}",
                kind="alert",
                recipients=[department.email],
                mail=mail,
                alert_id=alert_id,
                fallbacks=_step_recipients(alert),
            )


def record_response(
    db: Database, clock: Clock, actor: Actor, alert_id: int, text: str, comment: str = ""
) -> int | None:
    """Record a citizen-visible response (e.g. 情况通报 published). It stops the alert's earliest-due running
    timer (the first response stops the 5-hour clock; the next one the full-response clock).

    Returns the id of the timer it stopped, if any."""
    _require(actor, "record_response")
    if not text.strip():
        raise InputError("回应内容不能为空")
    now = clock.now()
    with db.session() as session:
        alert = _load_alert(session, alert_id)
        _require_open(alert)
        previous = alert.state
        _take_over(alert, actor, now)
        if alert.state in ("triggered", "acknowledged"):
            alert.state = "responding"
        alert.updated_at = now
        tasks = open_tasks_for(session, event_id=alert.event_id, item_id=alert.item_id)
        stopped: int | None = None
        if tasks:
            task = tasks[0]
            mark_answered(task, now, actor.username, text, now)
            stopped = task.id
            audit.record(
                session,
                now,
                actor.username,
                "timer.answer",
                "response_task",
                task.id,
                comment=comment,
                detail={"alert_id": alert_id, "text": text[:500]},
            )
        audit.record(
            session,
            now,
            actor.username,
            "alert.respond",
            "alert",
            alert_id,
            comment=comment,
            detail={"from": previous, "to": alert.state, "text": text[:500], "task_id": stopped},
        )
        return stopped


def extend_timer(db: Database, clock: Clock, actor: Actor, task_id: int, amount: float, comment: str) -> None:
    """An approved extension (延期): due_at moves by `amount` in the rule's unit, within max_extension."""
    _require(actor, "extend_timer")
    if not comment.strip():
        raise InputError("请填写延期理由")
    now = clock.now()
    with db.session() as session:
        task = _load_task(session, task_id)
        old_due = ensure_utc(task.due_at)
        cal = calendar_for(task.limit_spec, load_overrides(session))
        try:
            extend_task(task, cal, float(amount), now)
        except ValueError as exc:
            raise StateError(str(exc)) from exc
        audit.record(
            session,
            now,
            actor.username,
            "timer.extend",
            "response_task",
            task_id,
            comment=comment,
            detail={
                "amount": amount,
                "unit": task.limit_spec.get("unit"),
                "from_due": old_due.isoformat(),
                "to_due": ensure_utc(task.due_at).isoformat(),
            },
        )


def resolve(db: Database, clock: Clock, actor: Actor, alert_id: int, comment: str = "") -> None:
    """-> resolved (final). A later trigger of the same fingerprint opens a new alert."""
    _require(actor, "resolve")
    now = clock.now()
    with db.session() as session:
        alert = _load_alert(session, alert_id)
        _require_open(alert)
        previous = alert.state
        alert.state = "resolved"
        alert.resolved_at = now
        alert.resolved_by = actor.username
        alert.next_escalation_at = None
        alert.updated_at = now
        audit.record(
            session,
            now,
            actor.username,
            "alert.resolve",
            "alert",
            alert_id,
            comment=comment,
            detail={"from": previous, "to": "resolved"},
        )


def silence(db: Database, clock: Clock, actor: Actor, fingerprint: str, minutes: float, reason: str) -> int:
    """Mute a fingerprint (shell-style wildcards allowed, e.g. 'source_health:*') for `minutes`: its alerts
    still show but send no mail and do not escalate. Returns the silence id."""
    _require(actor, "silence")
    if not fingerprint.strip():
        raise InputError("请填写要静默的指纹")
    if not reason.strip():
        raise InputError("请填写静默理由")
    if minutes <= 0:
        raise InputError("静默时长必须大于 0")
    now = clock.now()
    with db.session() as session:
        row = Silence(
            fingerprint=fingerprint.strip(),
            starts_at=now,
            ends_at=now + timedelta(minutes=minutes),
            reason=reason,
            created_by=actor.username,
            created_at=now,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            now,
            actor.username,
            "silence.create",
            "silence",
            row.id,
            comment=reason,
            detail={"fingerprint": row.fingerprint, "minutes": minutes, "ends_at": row.ends_at.isoformat()},
        )
        return row.id


def expire_silence(db: Database, clock: Clock, actor: Actor, silence_id: int, comment: str = "") -> None:
    """End a silence now."""
    _require(actor, "expire_silence")
    now = clock.now()
    with db.session() as session:
        row = session.get(Silence, silence_id)
        if row is None:
            raise StateError(f"静默 {silence_id} 不存在")
        if ensure_utc(row.ends_at) <= now:
            raise StateError(f"静默 {silence_id} 已结束")
        row.ends_at = now
        audit.record(
            session,
            now,
            actor.username,
            "silence.expire",
            "silence",
            silence_id,
            comment=comment,
            detail={"fingerprint": row.fingerprint},
        )


def add_instruction(db: Database, clock: Clock, actor: Actor, alert_id: int, text: str) -> None:
    """A leader's instruction (批示): kept on the alert and mailed to whoever holds it now."""
    _require(actor, "add_instruction")
    if not text.strip():
        raise InputError("批示内容不能为空")
    now = clock.now()
    with db.session() as session:
        alert = _load_alert(session, alert_id)
        _require_open(alert)
        line = f"{format_local(now)} {actor.username}：{text.strip()}"
        alert.instruction = f"{alert.instruction}\n{line}" if alert.instruction else line
        alert.updated_at = now
        count = (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(
                    AuditLog.object_type == "alert",
                    AuditLog.object_id == str(alert_id),
                    AuditLog.action == "alert.instruction",
                )
            )
            or 0
        )
        audit.record(session, now, actor.username, "alert.instruction", "alert", alert_id, comment=text)
        recipients = _step_recipients(alert)
        if alert.assigned_department_id is not None:
            email = session.scalar(
                select(Department.email).where(Department.id == alert.assigned_department_id)
            )
            if email:
                recipients.append(email)
        if recipients:
            mail = alert_mail(
                session, alert, now, note=f"领导批示：{text.strip()}", subject_suffix="（领导批示）"
            )
            enqueue(
                session,
                now,
                batch=f"alert:{alert_id}:instruction:{count + 1}",
                kind="alert",
                recipients=recipients,
                mail=mail,
                alert_id=alert_id,
            )


def answer_task(db: Database, clock: Clock, actor: Actor, task_id: int, text: str) -> None:
    """Record a citizen-visible answer on one timer; the clock stops now."""
    _require(actor, "answer_task")
    if not text.strip():
        raise InputError("答复内容不能为空")
    now = clock.now()
    with db.session() as session:
        task = _load_task(session, task_id)
        if task.state not in OPEN_STATES:
            raise StateError(f"回应时限 {task_id} 当前状态为“{task.state}”，不能再登记答复")
        mark_answered(task, now, actor.username, text, now)
        audit.record(
            session,
            now,
            actor.username,
            "timer.answer",
            "response_task",
            task_id,
            detail={"text": text[:500]},
        )


def department_label(db: Database, department_id: int | None) -> str:
    """The department's name ('' when unknown); a small read helper for the pages that show assignments."""
    with db.session() as session:
        return department_name(session, department_id)
