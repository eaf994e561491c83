"""Response timers on a fake clock: every rule in config/timers.yaml across National Day 2026 and its 调休
weekend days, 黄灯/红灯/催办 notifications, pause and resume, crawler-found replies, the pure timer view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alerts.timers import format_remaining, rule_for_item, rules_for_event, sync_timers, timer_view
from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.levels import Level
from core.models import Item, Notification, ResponseTask
from core.settings import AppConfig
from tests.unit.alerts import factories as f

SH = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


def sync(db: Database, config: AppConfig, clock: FixedClock) -> None:
    with db.session() as s:
        sync_timers(s, config, clock.now())


def tasks(db: Database) -> list[ResponseTask]:
    with db.session() as s:
        return list(s.scalars(select(ResponseTask).order_by(ResponseTask.id)))


def mails(db: Database) -> list[Notification]:
    with db.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_rule_selection(app_config: AppConfig) -> None:
    rules = app_config.timers.rules
    assert rule_for_item(rules, "hotline", "求助").name == "hotline_urgent"  # type: ignore[union-attr]
    assert rule_for_item(rules, "hotline", "咨询").name == "hotline_consult"  # type: ignore[union-attr]
    assert rule_for_item(rules, "hotline", "举报").name == "hotline_complaint"  # type: ignore[union-attr]
    assert rule_for_item(rules, "hotline", None).name == "hotline_other"  # type: ignore[union-attr]
    assert rule_for_item(rules, "board", "投诉").name == "board_reply"  # type: ignore[union-attr]
    assert rule_for_item(rules, "news", None) is None
    assert [r.name for r in rules_for_event(rules, Level.I)] == [
        "event_first_response",
        "event_full_response_red",
    ]
    assert [r.name for r in rules_for_event(rules, Level.II)] == [
        "event_first_response",
        "event_full_response",
    ]
    assert rules_for_event(rules, Level.III) == []


@pytest.mark.parametrize(
    ("kind", "request_type", "published", "rule", "due", "warn"),
    [
        # 2 natural hours: the holiday does not matter; 黄灯 at 80 %
        (
            "hotline",
            "求助",
            local(2026, 10, 1, 23),
            "hotline_urgent",
            local(2026, 10, 2, 1),
            local(2026, 10, 2, 0, 36),
        ),
        # 1 working day from an ordinary Saturday: the next working day is the 调休 Sunday Sep 20
        # (黄灯 after 5.6 of its 7 working hours: 16:06)
        (
            "hotline",
            "咨询",
            local(2026, 9, 19, 11),
            "hotline_consult",
            local(2026, 9, 20, 17, 30),
            local(2026, 9, 20, 16, 6),
        ),
        # 5 working days from the eve of National Day: Oct 8, 9, 10 (调休 Saturday), 12, 13
        ("hotline", "投诉", local(2026, 9, 30, 10), "hotline_complaint", local(2026, 10, 13, 17, 30), None),
        ("hotline", None, local(2026, 9, 30, 10), "hotline_other", local(2026, 10, 13, 17, 30), None),
        # 7 working days: Oct 8, 9, 10, 12, 13, 14, 15; 黄灯 after 44 of 55 working hours = Oct 14 12:00
        (
            "board",
            None,
            local(2026, 9, 30, 10),
            "board_reply",
            local(2026, 10, 15, 17, 30),
            local(2026, 10, 14, 12),
        ),
    ],
)
def test_item_timer_rules_across_national_day(
    db: Database,
    app_config: AppConfig,
    clock: FixedClock,
    kind: str,
    request_type: str | None,
    published: datetime,
    rule: str,
    due: datetime,
    warn: datetime | None,
) -> None:
    clock.set(published + timedelta(minutes=1))
    src = f.source(db, clock.now(), key=kind, kind=kind)
    item_id = f.item(db, src, published, kind=kind, request_type=request_type)
    f.item(db, f.source(db, clock.now(), key="news", kind="news"), published, kind="news")  # news: no timer
    sync(db, app_config, clock)
    sync(db, app_config, clock)  # idempotent
    [task] = tasks(db)
    assert (task.item_id, task.kind, task.state) == (item_id, rule, "running")
    assert ensure_utc(task.started_at) == published
    assert ensure_utc(task.due_at) == due
    if warn is not None:
        assert ensure_utc(task.warn_at) == warn  # type: ignore[arg-type]
    assert task.limit_spec["rule"] == rule and task.limit_spec["working_hours"]["start"] == "09:00"


def test_event_timer_rules(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    clock.set(local(2026, 10, 3, 20))  # during the holiday: event clocks count every hour
    red = f.event(db, clock.now(), level=Level.I)
    orange = f.event(db, clock.now(), level=Level.II)
    f.event(db, clock.now(), level=Level.III)  # below every event rule
    sync(db, app_config, clock)
    by_event = {(t.event_id, t.kind): t for t in tasks(db)}
    assert set(by_event) == {
        (red, "event_first_response"),
        (red, "event_full_response_red"),
        (orange, "event_first_response"),
        (orange, "event_full_response"),
    }
    first = by_event[(red, "event_first_response")]
    assert ensure_utc(first.due_at) == clock.now() + timedelta(hours=5)
    assert ensure_utc(first.warn_at) == clock.now() + timedelta(hours=3)  # type: ignore[arg-type]  # share 0.6
    assert ensure_utc(by_event[(red, "event_full_response_red")].due_at) == clock.now() + timedelta(hours=24)
    assert ensure_utc(by_event[(orange, "event_full_response")].due_at) == clock.now() + timedelta(hours=48)
    # The orange event turns red two hours later: its full-response clock keeps its start, takes 24 h.
    start = clock.now()
    clock.advance(hours=2)
    f.set_event(db, orange, risk_level=int(Level.I), last_seen_at=clock.now())
    sync(db, app_config, clock)
    full = [t for t in tasks(db) if t.event_id == orange and t.kind.startswith("event_full")]
    assert len(full) == 1
    assert full[0].kind == "event_full_response_red"
    assert ensure_utc(full[0].due_at) == start + timedelta(hours=24)


def test_warning_overdue_and_reminders_go_to_the_department(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    published = local(2026, 9, 30, 10)
    clock.set(published)
    dept = f.department(db)
    src = f.source(db, clock.now())
    f.item(db, src, published, title="小区门口路灯不亮，联系人王女士13912345678", department_id=dept)
    sync(db, app_config, clock)
    clock.set(local(2026, 10, 14, 11, 59))
    sync(db, app_config, clock)
    assert mails(db) == []
    clock.set(local(2026, 10, 14, 12, 0))  # 黄灯
    sync(db, app_config, clock)
    sync(db, app_config, clock)
    [warn] = mails(db)
    assert warn.kind == "timer" and warn.recipient == "zjj@example.test"
    assert warn.fallbacks == ["duty@yunjiang.gov.example"]
    assert warn.subject.startswith("[黄灯提醒] 留言答复即将到期")
    assert "13912345678" not in warn.body_text and "13912345678" not in (warn.body_html or "")
    assert "2026-10-15 17:30" in warn.body_text
    clock.set(local(2026, 10, 15, 17, 30))  # 红灯
    sync(db, app_config, clock)
    assert [m.subject.split()[0] for m in mails(db)] == ["[黄灯提醒]", "[红灯超期]"]
    clock.advance(hours=23, minutes=59)
    sync(db, app_config, clock)
    assert len(mails(db)) == 2
    clock.advance(minutes=1)  # 24 h after the breach: 催办
    sync(db, app_config, clock)
    clock.advance(hours=24)
    sync(db, app_config, clock)
    assert [m.subject.split()[0] for m in mails(db)] == ["[黄灯提醒]", "[红灯超期]", "[催办]", "[催办]"]
    [task] = tasks(db)
    assert timer_view(task.state, task.started_at, task.due_at, task.warn_at, clock.now()).state == "overdue"


def test_no_department_reminds_the_duty_office(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    clock.set(local(2026, 10, 1, 23))
    f.item(
        db,
        f.source(db, clock.now(), kind="hotline", key="h"),
        clock.now(),
        kind="hotline",
        request_type="求助",
    )
    sync(db, app_config, clock)
    clock.advance(hours=2)
    sync(db, app_config, clock)
    [overdue] = mails(db)
    assert overdue.recipient == "duty@yunjiang.gov.example" and overdue.subject.startswith("[红灯超期]")


def test_pause_states_stop_the_clock(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    published = local(2026, 9, 30, 10)
    clock.set(published)
    item_id = f.item(db, f.source(db, clock.now()), published)
    sync(db, app_config, clock)

    def set_status(text: str | None) -> None:
        with db.session() as s:
            item = s.get(Item, item_id)
            assert item is not None
            item.source_status = text

    clock.set(local(2026, 10, 8, 9))
    set_status("待补充材料")
    sync(db, app_config, clock)
    [task] = tasks(db)
    assert task.state == "paused"
    view = timer_view(
        task.state, task.started_at, task.due_at, task.warn_at, local(2026, 10, 20), paused_at=task.paused_at
    )
    assert view.state == "paused" and view.remaining > timedelta(0)
    clock.set(local(2026, 10, 12, 9))  # Oct 8, 9 and the 调休 Saturday 10th did not count: 21 working hours
    set_status("办理中")
    sync(db, app_config, clock)
    [task] = tasks(db)
    assert task.state == "running"
    assert task.paused_seconds == 21 * 3600
    # Oct 15 17:30 + 21 working hours = Oct 16, 19, 20 -> Tue Oct 20 17:30
    assert ensure_utc(task.due_at) == local(2026, 10, 20, 17, 30)


def test_crawler_found_reply_stops_the_clock(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    published = local(2026, 9, 30, 10)
    clock.set(published)
    item_id = f.item(db, f.source(db, clock.now()), published)
    sync(db, app_config, clock)
    clock.set(local(2026, 10, 16, 9))  # the crawler saw the reply only after the deadline
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.reply_status, item.reply_at, item.reply_text = "replied", local(2026, 10, 12, 15), "已安排维修"
    sync(db, app_config, clock)
    [task] = tasks(db)
    assert (task.state, task.answered_by, task.answer_text) == ("answered", "crawler", "已安排维修")
    assert ensure_utc(task.answered_at) == local(2026, 10, 12, 15)  # type: ignore[arg-type]
    clock.advance(days=5)
    sync(db, app_config, clock)
    assert mails(db) == []  # answered in time: no 红灯, no 催办
    view = timer_view(
        task.state, task.started_at, task.due_at, task.warn_at, clock.now(), answered_at=task.answered_at
    )
    assert view.state == "answered" and view.remaining > timedelta(0)


def test_first_sight_backfill_and_deletion(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    clock.set(local(2026, 11, 20, 10))
    src = f.source(db, clock.now())
    old = f.item(db, src, clock.now() - timedelta(days=30), fetched_at=clock.now())  # history: no timer
    replied = f.item(
        db,
        src,
        clock.now() - timedelta(days=3),
        reply_status="replied",
        reply_at=clock.now() - timedelta(days=1),
        reply_text="已答复",
    )
    gone = f.item(db, src, clock.now() - timedelta(hours=1))
    sync(db, app_config, clock)
    by_item = {t.item_id: t for t in tasks(db)}
    assert old not in by_item
    assert by_item[replied].state == "answered" and by_item[replied].answered_by == "crawler"
    assert by_item[gone].state == "running"
    with db.session() as s:
        row = s.get(Item, gone)
        assert row is not None
        row.deleted_at = clock.now()
    sync(db, app_config, clock)
    assert {t.item_id: t.state for t in tasks(db)}[gone] == "cancelled"


@pytest.mark.parametrize(
    ("state", "offset_hours", "light", "text"),
    [
        ("running", 1, "normal", "剩余 9小时"),
        ("running", 8, "warning", "剩余 2小时"),
        ("running", 10, "overdue", "剩余 0分钟"),
        ("running", 35, "overdue", "超期 1天1小时"),
        ("paused", 30, "paused", "剩余 7小时"),  # frozen at paused_at (3 h in)
        ("answered", 30, "answered", "剩余 5小时"),  # answered 5 h in
    ],
)
def test_timer_view(state: str, offset_hours: float, light: str, text: str) -> None:
    start = datetime(2026, 11, 20, 2, tzinfo=UTC)
    due = start + timedelta(hours=10)
    warn = start + timedelta(hours=8)
    view = timer_view(
        state,
        start,
        due,
        warn,
        start + timedelta(hours=offset_hours),
        paused_at=start + timedelta(hours=3),
        answered_at=start + timedelta(hours=5),
    )
    assert view.state == light
    assert view.remaining_text == text


def test_format_remaining() -> None:
    assert format_remaining(timedelta(days=2, hours=3, minutes=5)) == "剩余 2天3小时"
    assert format_remaining(timedelta(minutes=45)) == "剩余 45分钟"
    assert format_remaining(-timedelta(hours=5)) == "超期 5小时"
    assert format_remaining(timedelta(hours=1, minutes=30)) == "剩余 1小时30分钟"
