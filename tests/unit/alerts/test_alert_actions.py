"""alerts.actions: roles, state machine, audit trail, outbox rows, timers stopped and extended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts import actions
from alerts.actions import Actor
from alerts.timers import limit_spec, new_task, timer_view
from core.clock import FixedClock
from core.db import Database
from core.errors import InputError, PermissionDenied, StateError
from core.models import Alert, AuditLog, Notification, ResponseTask, Silence
from core.settings import AppConfig
from core.workdays import WorkCalendar
from tests.unit.alerts import factories as f

DUTY = Actor("zhang", "duty")
LEADER = Actor("li", "leader")
ADMIN = Actor("root", "admin")


def audit_actions(db: Database, object_type: str, object_id: int) -> list[tuple[str, str]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.actor)
            .where(AuditLog.object_type == object_type, AuditLog.object_id == str(object_id))
            .order_by(AuditLog.id)
        ).all()
    return [(r.action, r.actor) for r in rows]


def event_task(db: Database, app_config: AppConfig, clock: FixedClock, event_id: int, rule_name: str) -> int:
    rule = next(r for r in app_config.timers.rules if r.name == rule_name)
    spec = limit_spec(rule, app_config.timers)
    with db.session() as s:
        task = new_task(WorkCalendar(), spec, clock.now(), clock.now(), event_id=event_id)
        s.add(task)
        s.flush()
        return task.id


def test_acknowledge_stops_escalation_and_is_audited(db: Database, clock: FixedClock) -> None:
    event_id = f.event(db, clock.now(), level=3)
    alert_id = f.alert(db, clock.now(), event_id=event_id)
    clock.advance(minutes=3)
    actions.acknowledge(db, clock, DUTY, alert_id, "收到")
    row = f.alert_row(db, alert_id)
    assert row.state == "acknowledged"
    assert row.acknowledged_by == "zhang"
    assert row.next_escalation_at is None
    assert audit_actions(db, "alert", alert_id) == [("alert.acknowledge", "zhang")]
    with pytest.raises(StateError):
        actions.acknowledge(db, clock, DUTY, alert_id)


def test_roles(db: Database, clock: FixedClock) -> None:
    alert_id = f.alert(db, clock.now(), event_id=f.event(db, clock.now(), level=3))
    with pytest.raises(PermissionDenied):
        actions.acknowledge(db, clock, LEADER, alert_id)
    with pytest.raises(PermissionDenied):
        actions.silence(db, clock, DUTY, "event_risk:*", 60, "测试")
    with pytest.raises(PermissionDenied):
        actions.add_instruction(db, clock, DUTY, alert_id, "请尽快处置")
    with pytest.raises(PermissionDenied):
        actions.acknowledge(db, clock, Actor("x", "nobody"), alert_id)
    assert actions.can(ADMIN, "silence") and not actions.can(LEADER, "resolve")
    assert f.alert_row(db, alert_id).state == "triggered"
    assert audit_actions(db, "alert", alert_id) == []


def test_assign_mails_department_and_moves_event_timers(
    db: Database, clock: FixedClock, app_config: AppConfig
) -> None:
    event_id = f.event(db, clock.now(), level=3)
    dept = f.department(db)
    alert_id = f.alert(db, clock.now(), event_id=event_id)
    task_id = event_task(db, app_config, clock, event_id, "event_first_response")
    actions.assign(db, clock, DUTY, alert_id, dept, "请住建局核实")
    row = f.alert_row(db, alert_id)
    assert (row.state, row.assigned_department_id, row.acknowledged_by) == ("responding", dept, "zhang")
    assert row.next_escalation_at is None
    with db.session() as s:
        mails = s.scalars(select(Notification).where(Notification.alert_id == alert_id)).all()
        assert s.get(ResponseTask, task_id).department_id == dept  # type: ignore[union-attr]
    assert [m.recipient for m in mails] == ["zjj@example.test"]
    assert mails[0].subject.startswith("[橙色预警]")
    assert "已转办至市住房和城乡建设局" in mails[0].body_text
    assert mails[0].fallbacks == ["duty@example.test"]
    with pytest.raises(InputError):
        actions.assign(db, clock, DUTY, alert_id, 9999)


def test_record_response_stops_earliest_timer_first(
    db: Database, clock: FixedClock, app_config: AppConfig
) -> None:
    event_id = f.event(db, clock.now(), level=4)
    alert_id = f.alert(db, clock.now(), event_id=event_id, level=4)
    first = event_task(db, app_config, clock, event_id, "event_first_response")
    full = event_task(db, app_config, clock, event_id, "event_full_response_red")
    clock.advance(hours=2)
    assert actions.record_response(db, clock, DUTY, alert_id, "已发布情况通报") == first
    with db.session() as s:
        t1, t2 = s.get(ResponseTask, first), s.get(ResponseTask, full)
        assert t1 is not None and t2 is not None
        assert (t1.state, t1.answered_by, t1.answer_text) == ("answered", "zhang", "已发布情况通报")
        assert t2.state == "running"
        assert (
            timer_view(
                t1.state, t1.started_at, t1.due_at, t1.warn_at, clock.now(), answered_at=t1.answered_at
            ).state
            == "answered"
        )
    assert f.alert_row(db, alert_id).state == "responding"
    clock.advance(hours=10)
    assert actions.record_response(db, clock, DUTY, alert_id, "已公布处置结果") == full
    with pytest.raises(InputError):
        actions.record_response(db, clock, DUTY, alert_id, "  ")


def test_resolve_is_final(db: Database, clock: FixedClock) -> None:
    alert_id = f.alert(db, clock.now(), event_id=f.event(db, clock.now(), level=3))
    with pytest.raises(PermissionDenied):
        actions.resolve(db, clock, LEADER, alert_id)
    actions.resolve(db, clock, DUTY, alert_id, "已处置完毕")
    row = f.alert_row(db, alert_id)
    assert (row.state, row.resolved_by) == ("resolved", "zhang")
    for call in (
        lambda: actions.assign(db, clock, DUTY, alert_id, f.department(db)),
        lambda: actions.record_response(db, clock, DUTY, alert_id, "x"),
        lambda: actions.add_instruction(db, clock, LEADER, alert_id, "x"),
        lambda: actions.resolve(db, clock, DUTY, alert_id),
    ):
        with pytest.raises(StateError):
            call()
    assert audit_actions(db, "alert", alert_id) == [("alert.resolve", "zhang")]


def test_silence_and_expire(db: Database, clock: FixedClock) -> None:
    with pytest.raises(InputError):
        actions.silence(db, clock, ADMIN, "burst:*", 60, "")
    sid = actions.silence(db, clock, ADMIN, "burst:*", 90, "演练期间")
    with db.session() as s:
        row = s.get(Silence, sid)
        assert row is not None
        assert row.ends_at.replace(tzinfo=UTC) == clock.now() + timedelta(minutes=90)
    clock.advance(minutes=5)
    actions.expire_silence(db, clock, ADMIN, sid, "演练结束")
    with pytest.raises(StateError):
        actions.expire_silence(db, clock, ADMIN, sid)
    assert audit_actions(db, "silence", sid) == [("silence.create", "root"), ("silence.expire", "root")]


def test_instruction_is_kept_and_mailed(db: Database, clock: FixedClock) -> None:
    alert_id = f.alert(db, clock.now(), event_id=f.event(db, clock.now(), level=3))
    actions.add_instruction(db, clock, LEADER, alert_id, "请住建局今日内答复群众")
    actions.add_instruction(db, clock, LEADER, alert_id, "注意舆论引导")
    row = f.alert_row(db, alert_id)
    assert (
        row.instruction is not None and "今日内答复" in row.instruction and "注意舆论引导" in row.instruction
    )
    with db.session() as s:
        mails = s.scalars(select(Notification).where(Notification.alert_id == alert_id)).all()
    assert len(mails) == 2
    assert all(m.recipient == "duty@example.test" for m in mails)
    assert "领导批示" in mails[1].body_text and "注意舆论引导" in mails[1].body_text


def test_extend_timer_working_days_capped(db: Database, clock: FixedClock, app_config: AppConfig) -> None:
    # A board post on Wed 2026-09-30 10:00 (Shanghai): 7 working days skip National Day (Oct 1-7) and count
    # the 调休 Saturday Oct 10: Oct 8, 9, 10, 12, 13, 14, 15 -> due Thu Oct 15 17:30.
    clock.set(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    src = f.source(db, clock.now())
    item_id = f.item(db, src, clock.now())
    rule = next(r for r in app_config.timers.rules if r.name == "board_reply")
    with db.session() as s:
        task = new_task(
            WorkCalendar(), limit_spec(rule, app_config.timers), clock.now(), clock.now(), item_id=item_id
        )
        s.add(task)
        s.flush()
        task_id = task.id
        assert task.due_at == datetime(2026, 10, 15, 9, 30, tzinfo=UTC)
    with pytest.raises(PermissionDenied):
        actions.extend_timer(db, clock, DUTY, task_id, 3, "需要现场核查")
    with pytest.raises(InputError):
        actions.extend_timer(db, clock, LEADER, task_id, 3, "")
    actions.extend_timer(db, clock, LEADER, task_id, 5, "需要现场核查")
    with db.session() as s:
        extended = s.get(ResponseTask, task_id)
        assert extended is not None
        # Oct 16, 19, 20, 21, 22 -> Thu Oct 22 17:30
        assert extended.due_at.replace(tzinfo=UTC) == datetime(2026, 10, 22, 9, 30, tzinfo=UTC)
        assert extended.extensions == 1 and extended.limit_spec["extended"] == 5
    with pytest.raises(StateError, match="上限"):
        actions.extend_timer(db, clock, ADMIN, task_id, 4, "再延")  # 5 + 4 > 8
    actions.answer_task(db, clock, DUTY, task_id, "已在留言板答复")
    with pytest.raises(StateError):
        actions.answer_task(db, clock, DUTY, task_id, "again")
    assert audit_actions(db, "response_task", task_id) == [("timer.extend", "li"), ("timer.answer", "zhang")]


def test_alert_lookup_errors(db: Database, clock: FixedClock) -> None:
    with pytest.raises(StateError):
        actions.acknowledge(db, clock, DUTY, 424242)
    with db.session() as s:
        assert s.scalar(select(Alert.id)) is None
