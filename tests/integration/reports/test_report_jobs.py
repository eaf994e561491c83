"""Scheduled report jobs and requests: Report rows, Notification rows with the .docx attached (once per
leader, never twice), "generate now" requests, the daily brief switch, and a week with no data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.errors import InputError
from core.models import AuditLog, Notification, Report, ResponseTask
from core.report_requests import request_report
from core.runtime import JobContext
from core.settings import AppConfig
from reports import jobs, text
from reports.daily import collect_daily
from reports.periods import day_period
from tests.integration.reports.seed import MONDAY_MORNING, PHONE, Seeded, local

LEADERS = ["deputy-mayor@yunjiang.gov.example", "secretary-general@yunjiang.gov.example"]


def ctx(db: Database, config: AppConfig, clock: FixedClock) -> JobContext:
    return JobContext(config=config, db=db, clock=clock)


def reports(db: Database) -> list[Report]:
    with db.session() as s:
        return list(s.scalars(select(Report).order_by(Report.id)))


def notifications(db: Database) -> list[Notification]:
    with db.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_weekly_job_records_the_report_and_queues_one_mail_per_leader(
    db: Database, seeded: Seeded, app_config: AppConfig, monday_clock: FixedClock
) -> None:
    assert [leader.email for leader in app_config.alerts.leaders] == LEADERS
    summary = jobs.weekly(ctx(db, app_config, monday_clock))
    assert summary == {"period": "2026-W47", "items": 21, "empty": False, "mails_queued": 2}

    (row,) = reports(db)
    assert (row.kind, row.status) == ("weekly", "done")
    assert ensure_utc(row.period_start) == datetime(2026, 11, 15, 16, tzinfo=UTC)
    assert ensure_utc(row.period_end) == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert ensure_utc(row.generated_at) == MONDAY_MORNING  # type: ignore[arg-type]
    docx = Path(row.docx_path or "")
    assert docx == app_config.settings.reports_dir.resolve() / "weekly-2026-W47.docx" and docx.exists()
    assert Path(row.html_path or "").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    mails = notifications(db)
    assert [m.recipient for m in mails] == LEADERS
    for mail in mails:
        assert mail.kind == "report" and mail.status == "pending" and mail.channel == "email"
        assert mail.dedupe_key == f"report:weekly:2026-11-16:{mail.recipient}"
        assert mail.attachments == [str(docx)]
        assert mail.subject == "【舆情周报】某市人民政府办公室 2026年第47周（11月16日—11月22日）"
        assert mail.body_html is not None and "表1 本周主要指标" in mail.body_html
        assert "信息总量（条） | 21 | 12 | +9" in mail.body_text
        assert PHONE not in mail.body_text and PHONE not in mail.body_html
        assert ensure_utc(mail.next_attempt_at) == MONDAY_MORNING

    # A second run (a scheduler restart, a misfire) rebuilds the files but never mails twice.
    again = jobs.weekly(ctx(db, app_config, monday_clock))
    assert again["mails_queued"] == 0
    assert len(notifications(db)) == 2 and len(reports(db)) == 1


def test_daily_job_builds_yesterday_and_respects_the_switch(
    db: Database, seeded: Seeded, app_config: AppConfig
) -> None:
    thursday_morning = FixedClock(datetime(2026, 11, 19, 0, 0, tzinfo=UTC))  # 08:00 local, brief for 18 Nov
    summary = jobs.daily(ctx(db, app_config, thursday_morning))
    assert summary == {"period": "2026-11-18", "items": 8, "empty": False, "mails_queued": 2}
    (row,) = reports(db)
    assert row.kind == "daily" and row.status == "done"
    doc = Document(row.docx_path)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "舆 情 日 报"
    assert {"一、昨日概况", "二、新增事件", "三、预警处置情况", "四、回应时限"} <= set(texts)
    headline = {r.cells[0].text.strip("　 "): [c.text for c in r.cells[1:]] for r in doc.tables[0].rows}
    assert headline["信息总量（条）"] == ["8", "2", "+6"]
    assert headline["其中：I级（红色）"] == ["1", "0", "+1"]
    new_events = [[c.text for c in r.cells] for r in doc.tables[1].rows]
    assert new_events[1][1] == "幸福里小区连续三天停水（联系电话[手机号]）"
    assert len(doc.inline_shapes) == 1
    assert {m.dedupe_key for m in notifications(db)} == {f"report:daily:2026-11-18:{e}" for e in LEADERS}

    off = dataclasses.replace(
        app_config, settings=app_config.settings.model_copy(update={"daily_brief_enabled": False})
    )
    assert jobs.daily(ctx(db, off, thursday_morning)) == {"status": "disabled"}


def test_generate_now_requests_are_built_by_process_requests(
    db: Database, seeded: Seeded, app_config: AppConfig, monday_clock: FixedClock
) -> None:
    report_id = request_report(db, monday_clock, "leader", "weekly", date(2026, 11, 19))  # a Thursday
    (row,) = reports(db)
    assert row.id == report_id and row.status == "requested" and row.requested_by == "leader"
    assert ensure_utc(row.period_start) == datetime(2026, 11, 15, 16, tzinfo=UTC)  # snapped to Monday
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "report_request")).one()
        assert (audit.actor, audit.object_id) == ("leader", str(report_id))

    assert jobs.process_requests(ctx(db, app_config, monday_clock)) == {"built": 1, "failed": 0}
    (row,) = reports(db)
    assert row.status == "done" and row.requested_by == "leader" and Path(row.docx_path or "").exists()
    assert notifications(db) == []  # "generate now" builds; it does not mail
    assert jobs.process_requests(ctx(db, app_config, monday_clock)) == {"built": 0, "failed": 0}

    # Asking again rebuilds the same row.
    assert request_report(db, monday_clock, "duty", "weekly", date(2026, 11, 16)) == report_id
    assert reports(db)[0].status == "requested"


def test_a_broken_request_is_marked_error_and_does_not_block_the_others(
    db: Database, seeded: Seeded, app_config: AppConfig, monday_clock: FixedClock
) -> None:
    with db.session() as s:
        s.add(
            Report(kind="monthly", period_start=MONDAY_MORNING, period_end=MONDAY_MORNING, status="requested")
        )
    request_report(db, monday_clock, "leader", "daily", date(2026, 11, 18))
    assert jobs.process_requests(ctx(db, app_config, monday_clock)) == {"built": 1, "failed": 1}
    bad, good = reports(db)
    assert bad.status == "error" and "monthly" in (bad.error or "")
    assert good.status == "done"


def test_request_report_rejects_unknown_kinds_and_future_periods(
    db: Database, monday_clock: FixedClock
) -> None:
    with pytest.raises(InputError):
        request_report(db, monday_clock, "leader", "monthly", date(2026, 11, 16))
    with pytest.raises(InputError):
        request_report(db, monday_clock, "leader", "weekly", date(2026, 11, 30))
    # the current week (begun, not finished) may be asked for
    request_report(db, monday_clock, "leader", "weekly", date(2026, 11, 23))


def test_an_empty_week_yields_a_short_valid_report(
    db: Database, app_config: AppConfig, monday_clock: FixedClock
) -> None:
    summary = jobs.weekly(ctx(db, app_config, monday_clock))
    assert summary["empty"] is True and summary["items"] == 0 and summary["mails_queued"] == 2
    (row,) = reports(db)
    doc = Document(row.docx_path)
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[:2] == ["舆 情 周 报", "2026年第47期"]
    assert "一、总体情况" in texts and "二、舆情走势" not in texts
    assert any("平台未监测到舆情信息" in t for t in texts)
    assert any("请检查各数据源" in t for t in texts)
    assert len(doc.inline_shapes) == 0 and len(doc.tables) == 0
    html = Path(row.html_path or "").read_text(encoding="utf-8")
    assert "平台未监测到舆情信息" in html and "</html>" in html

    daily = jobs.daily(ctx(db, app_config, monday_clock))
    assert daily["empty"] is True
    brief = Document(reports(db)[1].docx_path)
    assert any("平台未监测到舆情信息" in p.text for p in brief.paragraphs)


def test_daily_brief_counts_timers_at_the_end_of_the_day(
    db: Database, seeded: Seeded, app_config: AppConfig
) -> None:
    with db.session() as s:
        s.add(
            ResponseTask(
                item_id=seeded.items_w47[10],
                department_id=seeded.departments["sthj"],
                kind="hotline_other",
                limit_spec={},
                started_at=local(11, 19, 9),
                due_at=local(11, 23, 9),
                warn_at=local(11, 19, 20),
                state="running",
                updated_at=local(11, 19, 9),
            )
        )
    data = collect_daily(db, app_config, day_period(date(2026, 11, 19)), MONDAY_MORNING)
    # At 19 Nov 24:00: T3 (due 19 Nov 09:00) overdue; the new timer is past its warning time; T5 running.
    assert (data.timers.overdue, data.timers.warning, data.timers.running) == (1, 1, 1)
    assert [o.department for o in data.overdue] == ["市住房和城乡建设局"]
    assert data.open_alerts_by_level == {3: 1, 2: 2}  # the red alert was resolved at 09:00 on the 19th
    assert "临近时限（黄灯）1件" in text.open_work_sentence(data)
