"""Alert rules, escalation and routing on a fake clock: group_wait, level rises, escalation timing and its
cap, repeat interval, inhibition, silences, quiet hours, leaders' immediate mail and digests, resolution."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alerts import actions, jobs
from alerts.actions import Actor
from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.levels import Level
from core.models import Alert, AuditLog, Item, Notification, ResponseTask, Source
from core.runtime import JobContext
from core.settings import AppConfig, EscalationStep
from tests.unit.alerts import factories as f

SH = ZoneInfo("Asia/Shanghai")
DUTY = Actor("zhang", "duty")
ADMIN = Actor("root", "admin")
DUTY_MAIL = "duty@yunjiang.gov.example"
CHIEF = "section-chief@yunjiang.gov.example"
DIRECTOR = "office-director@yunjiang.gov.example"
DEPUTY = "deputy-mayor@yunjiang.gov.example"
SECRETARY = "secretary-general@yunjiang.gov.example"


def configured(config: AppConfig, **alerts: Any) -> AppConfig:
    return dataclasses.replace(config, alerts=config.alerts.model_copy(update=alerts))


def evaluate(db: Database, config: AppConfig, clock: FixedClock) -> dict[str, Any]:
    return jobs.evaluate(JobContext(config=config, db=db, clock=clock))


def open_alerts(db: Database) -> list[Alert]:
    with db.session() as s:
        return list(s.scalars(select(Alert).where(Alert.state != "resolved").order_by(Alert.id)))


def outbox(db: Database, since_id: int = 0) -> list[Notification]:
    with db.session() as s:
        return list(
            s.scalars(select(Notification).where(Notification.id > since_id).order_by(Notification.id))
        )


def recipients(rows: list[Notification]) -> set[str]:
    return {r.recipient for r in rows}


def last_id(db: Database) -> int:
    rows = outbox(db)
    return rows[-1].id if rows else 0


def test_group_wait_then_one_mail_per_recipient(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    app_config = configured(app_config, group_wait_levels=["I", "II", "III", "IV"])
    event_id = f.event(db, clock.now(), level=Level.II)
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)
    assert (alert.fingerprint, alert.level, alert.state) == (
        f"event_risk:event:{event_id}",
        Level.II,
        "triggered",
    )
    assert alert.escalation_policy[0]["recipients"] == [DUTY_MAIL]  # the chain is copied onto the alert
    assert outbox(db) == []  # group_wait
    wait = app_config.alerts.group_wait_seconds
    assert wait > 1
    clock.advance(seconds=wait - 1)
    evaluate(db, app_config, clock)
    assert outbox(db) == []
    clock.advance(seconds=1)
    evaluate(db, app_config, clock)
    evaluate(db, app_config, clock)
    mails = outbox(db)
    assert recipients(mails) == {DUTY_MAIL, DEPUTY} and len(mails) == 2  # the deputy mayor: II is immediate
    assert all(m.subject.startswith("[橙色预警] 某小区供暖中断") for m in mails)
    assert all(m.kind == "alert" and m.alert_id == alert.id for m in mails)
    with db.session() as s:
        actions_logged = s.scalars(
            select(AuditLog.action).where(
                AuditLog.object_type == "alert", AuditLog.object_id == str(alert.id)
            )
        ).all()
    assert actions_logged == ["alert.open", "alert.notify"]


def test_red_and_orange_skip_group_wait_when_configured(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    config = configured(app_config, group_wait_seconds=30, group_wait_levels=["III", "IV"])
    f.event(db, clock.now(), level=Level.III, title="某小区路灯不亮")
    f.event(db, clock.now(), level=Level.II, title="某小区供暖中断")
    evaluate(db, config, clock)
    mails = outbox(db)
    assert mails and all(m.subject.startswith("[橙色预警]") for m in mails)  # II at once, III still waiting
    clock.advance(seconds=30)
    evaluate(db, config, clock)
    assert any(m.subject.startswith("[黄色预警]") for m in outbox(db))


def test_event_growth_updates_and_level_rise_renotifies_at_once(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    event_id = f.event(db, clock.now(), level=Level.II)
    evaluate(db, app_config, clock)
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    first_batch = last_id(db)
    clock.advance(minutes=5)
    f.set_event(db, event_id, item_count=9, last_seen_at=clock.now())
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)
    assert alert.detail["item_count"] == 9
    assert outbox(db, first_batch) == []  # grew, same level: no new mail
    clock.advance(minutes=1)
    f.set_event(db, event_id, risk_level=int(Level.I), item_count=20, last_seen_at=clock.now())
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)  # still one open alert for the fingerprint
    assert alert.level == Level.I
    rise = outbox(db, first_batch)
    assert recipients(rise) == {DUTY_MAIL, DEPUTY, SECRETARY}
    assert all(m.subject.startswith("[红色预警]") and "级别上升" in m.subject for m in rise)
    assert "预警级别由II级(橙色)升至I级(红色)" in rise[0].body_text
    # the red timeout of the current step (10 min) now applies
    assert ensure_utc(alert.next_escalation_at) == clock.now() + timedelta(minutes=10)  # type: ignore[arg-type]


def test_escalation_timing_and_acknowledgement(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    app_config = configured(app_config, group_wait_levels=["I", "II", "III", "IV"])
    f.event(db, clock.now(), level=Level.II)
    evaluate(db, app_config, clock)
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    notified_at = clock.now()
    start = last_id(db)
    clock.set(notified_at + timedelta(minutes=29, seconds=59))
    evaluate(db, app_config, clock)
    assert outbox(db, start) == []
    clock.set(notified_at + timedelta(minutes=30))  # II: 值班员 has 30 minutes
    evaluate(db, app_config, clock)
    [esc] = outbox(db, start)
    assert (esc.kind, esc.recipient) == ("escalation", CHIEF)
    assert "升级：科室负责人" in esc.subject and "仍无人确认，已升级至科室负责人" in esc.body_text
    assert esc.fallbacks == [DIRECTOR, DEPUTY]
    clock.advance(minutes=60)  # 科室负责人: 60 minutes for II
    evaluate(db, app_config, clock)
    assert [m.recipient for m in outbox(db, start)] == [CHIEF, DIRECTOR]
    [alert] = open_alerts(db)
    actions.acknowledge(db, clock, DUTY, alert.id)
    clock.advance(minutes=200)
    evaluate(db, app_config, clock)
    alert_mails = [m.recipient for m in outbox(db, start) if m.kind != "timer"]
    assert alert_mails == [CHIEF, DIRECTOR]  # acknowledged: no more escalation


def test_escalation_repeats_are_capped(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    chain = [
        EscalationStep(role="值班员", recipients=["a@example.test"], timeouts_minutes={"I": 10}),
        EscalationStep(role="主任", recipients=["b@example.test"], timeouts_minutes={"I": 15}),
    ]
    config = configured(
        app_config,
        escalation=chain,
        max_escalation_repeats=1,
        leaders=[],
        repeat_interval_minutes=10_000,
        group_wait_seconds=0,
    )
    f.event(db, clock.now(), level=Level.I)
    evaluate(db, config, clock)
    for _ in range(12):
        clock.advance(minutes=15)
        evaluate(db, config, clock)
    sent = [m.recipient for m in outbox(db) if m.kind != "timer"]
    # a, then b, then the chain once more (a, b), then it stops
    assert sent == ["a@example.test", "b@example.test", "a@example.test", "b@example.test"]
    [alert] = open_alerts(db)
    assert alert.next_escalation_at is None and alert.escalation_repeats == 1
    with db.session() as s:
        assert (
            s.scalar(select(AuditLog.id).where(AuditLog.action == "alert.escalation_exhausted")) is not None
        )


def test_level_without_timeout_stops_at_that_step(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    chain = [EscalationStep(role="值班员", recipients=["a@example.test"], timeouts_minutes={"I": 10})]
    config = configured(app_config, escalation=chain, leaders=[], group_wait_seconds=0)
    f.event(db, clock.now(), level=Level.III)
    evaluate(db, config, clock)
    clock.advance(hours=3)
    evaluate(db, config, clock)
    assert [m.recipient for m in outbox(db)] == ["a@example.test"]


def test_repeat_interval_for_unchanged_alerts(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    f.event(db, clock.now(), level=Level.III)
    evaluate(db, app_config, clock)
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)
    actions.acknowledge(db, clock, DUTY, alert.id)
    start = last_id(db)
    clock.advance(minutes=239)
    evaluate(db, app_config, clock)
    assert outbox(db, start) == []
    clock.advance(minutes=1)
    evaluate(db, app_config, clock)
    [repeat] = outbox(db, start)
    assert (
        repeat.recipient == DUTY_MAIL
        and "重复提醒" in repeat.subject
        and "已确认，尚未办结" in repeat.body_text
    )
    clock.advance(minutes=240)
    evaluate(db, app_config, clock)
    assert len(outbox(db, start)) == 2


def scheme_hit(
    db: Database, clock: FixedClock, *, event_id: int | None, level: str, scheme: str = "生命安全"
) -> int:
    src = f.source(db, clock.now(), key=f"s{clock.now().timestamp():.0f}{level}")
    item_id = f.item(db, src, clock.now(), title="有人在楼顶说不想活了", event_id=event_id)
    f.analysis(
        db,
        item_id,
        clock.now(),
        scheme_hits=[{"scheme": scheme, "terms": ["不想活了"], "always_alert": True, "level": level}],
    )
    return item_id


def test_higher_level_inhibits_lower_for_the_same_event(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    event_id = f.event(db, clock.now(), level=Level.II)
    scheme_hit(db, clock, event_id=event_id, level="III")
    evaluate(db, app_config, clock)
    risk, scheme = open_alerts(db)
    assert (risk.rule, scheme.rule) == ("event_risk", "scheme_always")
    assert scheme.inhibited_by == risk.id and risk.inhibited_by is None
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    assert {m.alert_id for m in outbox(db)} == {risk.id}  # the inhibited alert stays quiet
    start = last_id(db)
    actions.resolve(db, clock, DUTY, risk.id)
    evaluate(db, app_config, clock)
    [scheme] = open_alerts(db)
    assert scheme.inhibited_by is None
    assert {m.alert_id for m in outbox(db, start)} == {scheme.id}
    assert all(m.subject.startswith("[黄色预警]") for m in outbox(db, start))


def test_silence_mutes_until_it_ends(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    event_id = f.event(db, clock.now(), level=Level.III)
    actions.silence(db, clock, ADMIN, f"event_risk:event:{event_id}", 60, "已知情况，处置中")
    evaluate(db, app_config, clock)
    clock.advance(minutes=59)
    evaluate(db, app_config, clock)
    assert outbox(db) == []
    assert len(open_alerts(db)) == 1  # the alert exists and shows; only its mail is muted
    clock.advance(minutes=1)
    evaluate(db, app_config, clock)
    assert recipients(outbox(db)) == {DUTY_MAIL}


def test_wildcard_silence(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    f.event(db, clock.now(), level=Level.III)
    actions.silence(db, clock, ADMIN, "event_risk:*", 10, "演练")
    evaluate(db, app_config, clock)
    clock.advance(minutes=5)
    evaluate(db, app_config, clock)
    assert outbox(db) == []


def test_quiet_hours_hold_back_level_iv_only(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 20, 23, 0, tzinfo=SH).astimezone(UTC))
    blue = scheme_hit(db, clock, event_id=None, level="IV", scheme="媒体曝光威胁")
    orange_event = f.event(db, clock.now(), level=Level.II)
    evaluate(db, app_config, clock)
    clock.advance(minutes=1)
    evaluate(db, app_config, clock)
    by_alert = {a.id: a for a in open_alerts(db)}
    mailed = {m.alert_id for m in outbox(db)}
    [orange] = [a for a in by_alert.values() if a.event_id == orange_event]
    [quiet] = [a for a in by_alert.values() if a.item_id == blue]
    assert orange.id in mailed and quiet.id not in mailed
    clock.set(datetime(2026, 11, 21, 6, 59, tzinfo=SH).astimezone(UTC))
    evaluate(db, app_config, clock)
    assert quiet.id not in {m.alert_id for m in outbox(db)}
    clock.set(datetime(2026, 11, 21, 7, 0, tzinfo=SH).astimezone(UTC))
    evaluate(db, app_config, clock)
    held = [m for m in outbox(db) if m.alert_id == quiet.id]
    assert recipients(held) == {DUTY_MAIL} and held[0].subject.startswith("[蓝色预警]")


def test_leaders_immediate_and_digest(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    f.event(db, clock.now(), level=Level.I, title="化工厂爆炸")
    f.event(db, clock.now(), level=Level.III, title="公交线路调整引发不满")
    evaluate(db, app_config, clock)
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    immediate = outbox(db)
    assert {(m.recipient, m.subject.split()[0]) for m in immediate} == {
        (DUTY_MAIL, "[红色预警]"),
        (DEPUTY, "[红色预警]"),
        (SECRETARY, "[红色预警]"),
        (DUTY_MAIL, "[黄色预警]"),
    }
    start = last_id(db)
    assert jobs.send_digest(JobContext(config=app_config, db=db, clock=clock)) == {"digests": 2}
    digests = outbox(db, start)
    assert recipients(digests) == {DEPUTY, SECRETARY}
    for mail in digests:
        assert (
            mail.kind == "digest"
            and "公交线路调整引发不满" in mail.body_text
            and "化工厂爆炸" not in mail.body_text
        )
        assert "共 1 条" in mail.subject
    clock.advance(hours=1)
    assert jobs.send_digest(JobContext(config=app_config, db=db, clock=clock)) == {"digests": 0}


def test_resolved_is_final_and_new_evidence_opens_a_new_alert(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    event_id = f.event(db, clock.now(), level=Level.III)
    evaluate(db, app_config, clock)
    [first] = open_alerts(db)
    clock.advance(minutes=10)
    actions.resolve(db, clock, DUTY, first.id, "已处置")
    evaluate(db, app_config, clock)
    assert open_alerts(db) == []  # the same evidence does not reopen it
    clock.advance(minutes=10)
    f.set_event(db, event_id, last_seen_at=clock.now(), item_count=8)  # new items joined the event
    evaluate(db, app_config, clock)
    [second] = open_alerts(db)
    assert second.id != first.id and second.fingerprint == first.fingerprint
    assert f.alert_row(db, first.id).state == "resolved"


def test_burst_rule(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    from core.models import Burst

    with db.session() as s:
        s.add(
            Burst(
                topic="交通运输",
                region="江北区",
                bucket_start=clock.now() - timedelta(hours=1),
                bucket_minutes=60,
                count=24,
                baseline=3.0,
                score=8.0,
                path="baseline",
                detected_at=clock.now(),
            )
        )
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)
    assert alert.fingerprint == "burst:burst:交通运输:江北区" and alert.level == Level.III
    assert alert.title == "江北区“交通运输”类信息突增"
    assert "为基线 3.0 条的 8.0 倍" in alert.detail["risk_factors"][0]["text"]


def test_scheme_below_always_alert_is_ignored(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    src = f.source(db, clock.now())
    item_id = f.item(db, src, clock.now())
    f.analysis(
        db,
        item_id,
        clock.now(),
        scheme_hits=[{"scheme": "欠薪欠薪", "terms": ["欠薪"]}, {"scheme": "欠薪讨薪", "terms": ["讨薪"]}],
    )
    evaluate(db, app_config, clock)
    assert open_alerts(db) == []
    # a hit without the flag takes always_alert and level from config/schemes.yaml
    other = f.item(db, src, clock.now())
    f.analysis(db, other, clock.now(), scheme_hits=[{"scheme": "群体性事件苗头", "terms": ["业主", "聚集"]}])
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)
    assert alert.level == Level.II and alert.item_id == other


def test_source_health_opens_and_resolves_itself(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    key = app_config.sources.sources[0].key
    with db.session() as s:
        src = Source(
            key=key,
            name="12345热线",
            kind="hotline",
            url="http://127.0.0.1/",
            enabled=True,
            created_at=clock.now() - timedelta(days=3),
            last_item_at=clock.now() - timedelta(hours=1),
            consecutive_failures=3,
            last_failure_at=clock.now(),
            last_error="HTTP 503",
            items_total=0,
            state={},
        )
        s.add(src)
        s.flush()
        source_id = src.id
    evaluate(db, app_config, clock)
    [alert] = open_alerts(db)
    assert alert.fingerprint == f"source_health:source:{source_id}" and alert.level == Level.IV
    assert "连续 3 次采集失败" in alert.title
    clock.advance(minutes=10)
    with db.session() as s:
        row = s.get(Source, source_id)
        assert row is not None
        row.consecutive_failures, row.last_success_at, row.last_item_at = 0, clock.now(), clock.now()
    evaluate(db, app_config, clock)
    assert open_alerts(db) == []
    assert f.alert_row(db, alert.id).resolved_by == "system"
    clock.advance(hours=25)  # silent for longer than silent_after_hours (24)
    evaluate(db, app_config, clock)
    [silent] = open_alerts(db)
    assert "小时没有新信息" in (silent.summary or "")


def test_timer_rule_alerts_when_overdue_and_resolves_when_answered(
    db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    event_id = f.event(db, clock.now(), level=Level.II)
    evaluate(db, app_config, clock)
    with db.session() as s:
        first = s.scalar(select(ResponseTask).where(ResponseTask.kind == "event_first_response"))
        assert first is not None
        task_id = first.id
    clock.advance(hours=5)
    f.set_event(db, event_id, last_seen_at=clock.now())
    evaluate(db, app_config, clock)
    timer_alert = next(a for a in open_alerts(db) if a.rule == "timer_overdue")
    assert (
        timer_alert.fingerprint == f"timer_overdue:task:{task_id}" and timer_alert.response_task_id == task_id
    )
    assert "首次权威信息发布已超期" in timer_alert.title
    assert timer_alert.inhibited_by is not None  # the event's orange alert outranks the yellow timer alert
    actions.answer_task(db, clock, DUTY, task_id, "已发布通报")
    evaluate(db, app_config, clock)
    assert f.alert_row(db, timer_alert.id).state == "resolved"


def test_item_alert_mail_content(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    src = f.source(db, clock.now(), key="board_x", name="市长信箱")
    event_id = f.event(
        db,
        clock.now(),
        level=Level.I,
        title="<script>alert(1)</script>燃气泄漏",
        summary="居民张先生（电话13812345678）称闻到燃气味 & 无人处理",
        risk_factors=[{"factor": "scheme", "points": 30, "text": "命中“生命安全”方案：燃气泄漏"}],
    )
    item_id = f.item(
        db, src, clock.now() - timedelta(minutes=20), event_id=event_id, url="http://127.0.0.1/post/9"
    )
    f.set_event(db, event_id, first_item_id=item_id)
    evaluate(db, app_config, clock)
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    mail = next(m for m in outbox(db) if m.recipient == DUTY_MAIL)
    [alert] = [a for a in open_alerts(db) if a.rule == "event_risk"]
    assert mail.subject == "[红色预警] <script>alert(1)</script>燃气泄漏"
    html = mail.body_html or ""
    for body in (mail.body_text, html):
        assert "13812345678" not in body
        assert "命中“生命安全”方案：燃气泄漏" in body
        assert "市长信箱" in body
        assert f"http://127.0.0.1:8050/alerts?alert={alert.id}" in body
        assert "首次权威信息发布" in body and "全面回应" in body  # the event's timers
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; 无人处理" in html
    assert 'href="http://127.0.0.1/post/9"' in html
    assert "[红色预警]" in mail.body_text


@pytest.mark.parametrize("level", [Level.I, Level.II])
def test_quiet_hours_never_hold_i_or_ii(
    level: Level, db: Database, app_config: AppConfig, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 21, 2, 0, tzinfo=SH).astimezone(UTC))
    f.event(db, clock.now(), level=level)
    evaluate(db, app_config, clock)
    clock.advance(seconds=30)
    evaluate(db, app_config, clock)
    assert DUTY_MAIL in recipients(outbox(db))


def test_items_are_untouched(db: Database, app_config: AppConfig, clock: FixedClock) -> None:
    # evaluate reads items and analysis; it never changes their status
    src = f.source(db, clock.now())
    item_id = f.item(db, src, clock.now(), status="new")
    evaluate(db, app_config, clock)
    with db.session() as s:
        assert s.get(Item, item_id).status == "new"  # type: ignore[union-attr]
