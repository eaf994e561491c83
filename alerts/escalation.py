"""Notification and escalation of open alerts, written to the outbox in the same transaction:
the first mail after group_wait, an immediate mail on a level rise, escalation up the copied chain while
nobody acknowledges (with a cap on repeats), a repeat for unchanged alerts, leaders' digests.
Inhibited and silenced alerts stay quiet; quiet hours hold back level IV.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts import audit
from alerts.content import DigestLine, alert_mail, render_digest
from alerts.notify.outbox import enqueue
from alerts.routing import (
    active_silences,
    held_back,
    immediate_leaders,
    later_recipients,
    silenced_by,
    step_recipients,
    step_role,
    step_timeout,
)
from core.clock import ensure_utc
from core.levels import Level
from core.models import Alert, Notification
from core.settings import AppConfig

logger = logging.getLogger(__name__)


@dataclass
class EscalationCounts:
    notified: int = 0
    level_rises: int = 0
    escalated: int = 0
    repeated: int = 0
    exhausted: int = 0
    held_quiet: int = 0
    silenced: int = 0
    inhibited: int = 0
    waiting: int = 0  # inside group_wait

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分钟" if minutes else f"{hours} 小时"


def process(session: Session, config: AppConfig, now: datetime) -> EscalationCounts:
    counts = EscalationCounts()
    silences = active_silences(session, now)
    repeat_every = timedelta(minutes=config.alerts.repeat_interval_minutes)
    alerts = session.scalars(select(Alert).where(Alert.state != "resolved").order_by(Alert.id)).all()
    for alert in alerts:
        if alert.inhibited_by is not None:
            counts.inhibited += 1
            continue
        if silenced_by(alert.fingerprint, silences) is not None:
            counts.silenced += 1
            continue
        if held_back(config.alerts.quiet_hours, alert.level, now):
            counts.held_quiet += 1
            continue
        _process_one(session, config, alert, now, repeat_every, counts)
    return counts


def _process_one(
    session: Session,
    config: AppConfig,
    alert: Alert,
    now: datetime,
    repeat_every: timedelta,
    counts: EscalationCounts,
) -> None:
    policy = alert.escalation_policy or []
    level = alert.level
    step = alert.escalation_step
    triggered = alert.state == "triggered"

    if alert.last_notified_at is None:
        if alert.notify_after is not None and now < ensure_utc(alert.notify_after):
            counts.waiting += 1
            return
        recipients = step_recipients(policy, step)
        _send(
            session,
            alert,
            now,
            batch=f"alert:{alert.id}:open",
            kind="alert",
            recipients=recipients,
            fallbacks=later_recipients(policy, step),
        )
        leaders = immediate_leaders(config.alerts.leaders, level)
        if leaders:
            _send(
                session,
                alert,
                now,
                batch=f"alert:{alert.id}:open",
                kind="alert",
                recipients=leaders,
                fallbacks=step_recipients(policy, 0),
            )
        alert.last_notified_at = now
        alert.last_notified_level = level
        if triggered:
            timeout = step_timeout(policy, step, level)
            alert.next_escalation_at = now + timeout if timeout else None
        audit.record(
            session,
            now,
            audit.SYSTEM,
            "alert.notify",
            "alert",
            alert.id,
            detail={"recipients": recipients + leaders, "level": level},
        )
        counts.notified += 1
        return

    if level > alert.last_notified_level:
        old = Level(alert.last_notified_level)
        note = f"预警级别由{old.label}升至{Level(level).label}" if old > Level.NONE else ""
        recipients = step_recipients(policy, step)
        leaders = immediate_leaders(config.alerts.leaders, level)
        batch = f"alert:{alert.id}:level:{level}"
        _send(
            session,
            alert,
            now,
            batch=batch,
            kind="alert",
            recipients=recipients + leaders,
            fallbacks=later_recipients(policy, step),
            note=note,
            suffix="（级别上升）",
        )
        alert.last_notified_at = now
        alert.last_notified_level = level
        if triggered:
            timeout = step_timeout(policy, step, level)
            if timeout is not None:
                sooner = now + timeout
                current = ensure_utc(alert.next_escalation_at) if alert.next_escalation_at else None
                alert.next_escalation_at = min(current, sooner) if current else sooner
        audit.record(
            session,
            now,
            audit.SYSTEM,
            "alert.notify_level_up",
            "alert",
            alert.id,
            detail={"from": int(old), "to": level, "recipients": recipients + leaders},
        )
        counts.level_rises += 1
        return

    if triggered and alert.next_escalation_at is not None and now >= ensure_utc(alert.next_escalation_at):
        _escalate(session, config, alert, now, counts)
        return

    if alert.last_notified_at is not None and now - ensure_utc(alert.last_notified_at) >= repeat_every:
        recipients = step_recipients(policy, step)
        state_note = {
            "triggered": "仍未确认",
            "acknowledged": "已确认，尚未办结",
            "responding": "处置中，尚未办结",
        }
        note = (
            f"该预警{state_note.get(alert.state, '')}，已持续 {_duration(now - ensure_utc(alert.opened_at))}"
        )
        _send(
            session,
            alert,
            now,
            batch=f"alert:{alert.id}:repeat:{now:%Y%m%d%H%M}",
            kind="alert",
            recipients=recipients,
            fallbacks=later_recipients(policy, step),
            note=note,
            suffix="（重复提醒）",
        )
        alert.last_notified_at = now
        audit.record(
            session, now, audit.SYSTEM, "alert.repeat", "alert", alert.id, detail={"recipients": recipients}
        )
        counts.repeated += 1


def _escalate(
    session: Session, config: AppConfig, alert: Alert, now: datetime, counts: EscalationCounts
) -> None:
    policy = alert.escalation_policy or []
    level = alert.level
    step, repeats = alert.escalation_step, alert.escalation_repeats
    if step + 1 < len(policy):
        step += 1
    elif repeats < config.alerts.max_escalation_repeats:
        step, repeats = 0, repeats + 1  # walk the chain again from the top
    else:
        alert.next_escalation_at = None
        audit.record(
            session,
            now,
            audit.SYSTEM,
            "alert.escalation_exhausted",
            "alert",
            alert.id,
            detail={"repeats": repeats},
        )
        counts.exhausted += 1
        return
    role = step_role(policy, step)
    recipients = step_recipients(policy, step)
    waited = _duration(now - ensure_utc(alert.opened_at))
    note = f"预警发出 {waited} 仍无人确认，已升级至{role}" + (f"（第 {repeats + 1} 轮）" if repeats else "")
    _send(
        session,
        alert,
        now,
        batch=f"alert:{alert.id}:esc:{repeats}:{step}",
        kind="escalation",
        recipients=recipients,
        fallbacks=later_recipients(policy, step),
        note=note,
        suffix=f"（升级：{role}）",
    )
    alert.escalation_step = step
    alert.escalation_repeats = repeats
    timeout = step_timeout(policy, step, level)
    alert.next_escalation_at = now + timeout if timeout else None
    alert.last_notified_at = now
    alert.updated_at = now
    audit.record(
        session,
        now,
        audit.SYSTEM,
        "alert.escalate",
        "alert",
        alert.id,
        detail={"step": step, "role": role, "repeats": repeats, "recipients": recipients},
    )
    counts.escalated += 1


def _send(
    session: Session,
    alert: Alert,
    now: datetime,
    *,
    batch: str,
    kind: str,
    recipients: list[str],
    fallbacks: list[str],
    note: str = "",
    suffix: str = "",
) -> None:
    if not recipients:
        return
    mail = alert_mail(session, alert, now, note=note, subject_suffix=suffix)
    enqueue(
        session,
        now,
        batch=batch,
        kind=kind,
        recipients=recipients,
        mail=mail,
        alert_id=alert.id,
        fallbacks=fallbacks,
    )


# --- leaders' digests -------------------------------------------------------------------------------------------


def digests(
    session: Session, config: AppConfig, now: datetime, *, default_window: timedelta = timedelta(days=1)
) -> int:
    """One digest per subscribed leader: alerts opened since that leader's previous digest whose level the
    leader does not get immediately. Returns the number of digests written."""
    written = 0
    base_url = config.settings.effective_base_url
    for leader in config.alerts.leaders:
        if not leader.digest:
            continue
        immediate = {int(Level.parse(n)) for n in leader.immediate_levels}
        previous = session.scalar(
            select(func.max(Notification.created_at)).where(
                Notification.kind == "digest", Notification.recipient == leader.email
            )
        )
        since = ensure_utc(previous) if previous else now - default_window
        rows = session.execute(
            select(Alert.id, Alert.level, Alert.title, Alert.state, Alert.opened_at, Alert.detail)
            .where(Alert.opened_at > since, Alert.opened_at <= now)
            .order_by(Alert.level.desc(), Alert.opened_at)
        ).all()
        lines = [
            DigestLine(
                r.id,
                r.level,
                r.title,
                r.state,
                ensure_utc(r.opened_at),
                str((r.detail or {}).get("link") or f"{base_url}/alerts?alert={r.id}"),
            )
            for r in rows
            if r.level not in immediate
        ]
        if not lines:
            continue
        mail = render_digest(leader.name, lines, f"{base_url}/alerts", config.settings.office_name, now)
        enqueue(
            session,
            now,
            batch=f"digest:{now:%Y%m%d%H%M}",
            kind="digest",
            recipients=[leader.email],
            mail=mail,
        )
        written += 1
    return written
