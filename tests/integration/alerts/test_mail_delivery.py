"""The outbox and the SMTP sender against a real aiosmtpd server: delivery and content, a server that is
down for a while, 421/451 retried, 550 failed over, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts import jobs
from alerts.content import MailContent
from alerts.notify.outbox import claim, enqueue
from core.clock import FixedClock, ensure_utc
from core.db import Database
from core.levels import Level
from core.models import Notification
from core.runtime import JobContext
from core.settings import AppConfig
from tests.integration.alerts.smtpserver import Recorder, start_server
from tests.pgserver import free_port
from tests.unit.alerts import factories as f

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder, smtp_port: int) -> Iterator[Recorder]:
    controller = start_server(recorder, smtp_port)
    try:
        yield recorder
    finally:
        controller.stop()


def config_for(app_config: AppConfig, port: int, **alerts: object) -> AppConfig:
    settings = app_config.settings.model_copy(update={"smtp_port": port, "mail_from": "yuqing@gov.example"})
    return dataclasses.replace(
        app_config, settings=settings, alerts=app_config.alerts.model_copy(update=alerts)
    )


def ctx(db: Database, config: AppConfig, clock: FixedClock) -> JobContext:
    return JobContext(config=config, db=db, clock=clock)


def rows(db: Database) -> list[Notification]:
    with db.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def put(
    db: Database,
    clock: FixedClock,
    n: int,
    *,
    batch: str = "t",
    recipients: tuple[str, ...] = ("a@x.test",),
    fallbacks: tuple[str, ...] = (),
    attachments: tuple[str, ...] = (),
) -> None:
    with db.session() as s:
        for i in range(n):
            enqueue(
                s,
                clock.now(),
                batch=f"{batch}:{i}",
                kind="alert",
                recipients=list(recipients),
                mail=MailContent(f"[蓝色预警] 测试 {i}", f"正文 {i}", f"<p>正文 {i}</p>", attachments),
                fallbacks=list(fallbacks),
            )


def test_alert_mail_delivered_with_content_and_attachment(
    any_db: Database,
    app_config: AppConfig,
    clock: FixedClock,
    server: Recorder,
    smtp_port: int,
    tmp_path: Path,
) -> None:
    config = config_for(app_config, smtp_port, group_wait_seconds=0)
    src = f.source(any_db, clock.now(), key="board_m", name="市长信箱")
    event_id = f.event(
        any_db,
        clock.now(),
        level=Level.I,
        title="<b>化工园区</b>异味 & 居民聚集",
        summary="王先生（13812345678）说味道刺鼻",
    )
    item_id = f.item(any_db, src, clock.now(), event_id=event_id, url="http://127.0.0.1/p/1")
    f.set_event(any_db, event_id, first_item_id=item_id)
    jobs.evaluate(ctx(any_db, config, clock))
    report_file = tmp_path / "周报.docx"
    import docx

    document = docx.Document()
    document.add_paragraph("本周舆情")
    document.save(str(report_file))
    with any_db.session() as s:
        enqueue(
            s,
            clock.now(),
            batch="report:weekly:1",
            kind="report",
            recipients=["leader@x.test"],
            mail=MailContent("舆情周报", "见附件", None, (str(report_file),)),
        )
    report = jobs.send_mail(ctx(any_db, config, clock))
    assert report["sent"] == 4 and report["failed"] == 0  # duty, two leaders (level I), the report
    assert all(r.status == "sent" and r.sent_at is not None for r in rows(any_db))
    by_to = {str(m["To"]): m for m in server.messages}
    mail = by_to["duty@yunjiang.gov.example"]
    assert mail["Subject"] == "[红色预警] <b>化工园区</b>异味 & 居民聚集"
    assert mail["From"] == "yuqing@gov.example"
    row = next(r for r in rows(any_db) if r.recipient == "duty@yunjiang.gov.example")
    assert mail["Message-ID"] == row.message_id and row.message_id.endswith("@gov.example>")  # type: ignore[union-attr]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "13812345678" not in body
        assert f"/alerts?alert={row.alert_id}" in body
        assert "市长信箱" in body
    assert "&lt;b&gt;化工园区&lt;/b&gt;" in html and "<b>化工园区" not in html
    weekly = by_to["leader@x.test"]
    [attachment] = list(weekly.iter_attachments())
    assert attachment.get_content_type() == DOCX_TYPE
    assert attachment.get_filename() == "周报.docx"
    assert attachment.get_content() == report_file.read_bytes()


def test_server_down_for_a_while_then_everything_once(
    any_db: Database, app_config: AppConfig, clock: FixedClock, smtp_port: int
) -> None:
    config = config_for(app_config, smtp_port)
    put(any_db, clock, 6)
    report = jobs.send_mail(ctx(any_db, config, clock))  # nothing listens on the port
    assert (report["sent"], report["retried"]) == (0, 6)
    first = rows(any_db)
    assert all(r.status == "pending" and r.attempts == 1 and r.claimed_until is None for r in first)
    assert all(ensure_utc(r.next_attempt_at) == clock.now() + timedelta(seconds=30) for r in first)
    assert "cannot reach" in (first[0].last_error or "")
    clock.advance(seconds=30)
    assert jobs.send_mail(ctx(any_db, config, clock))["retried"] == 6  # still down: backoff doubles
    assert all(ensure_utc(r.next_attempt_at) == clock.now() + timedelta(seconds=60) for r in rows(any_db))
    recorder = Recorder()
    controller = start_server(recorder, smtp_port)
    try:
        clock.advance(seconds=59)
        assert jobs.send_mail(ctx(any_db, config, clock))["claimed"] == 0  # not due yet
        clock.advance(seconds=1)
        assert jobs.send_mail(ctx(any_db, config, clock))["sent"] == 6
        clock.advance(hours=2)
        assert jobs.send_mail(ctx(any_db, config, clock))["claimed"] == 0
    finally:
        controller.stop()
    assert sorted(recorder.keys()) == sorted(r.dedupe_key for r in rows(any_db))  # each exactly once
    assert all(r.status == "sent" and r.attempts == 3 for r in rows(any_db))


@pytest.mark.parametrize("where", ["rcpt", "data"])
@pytest.mark.parametrize("code", ["421 4.3.0 closing, try later", "451 4.3.0 local error, try later"])
def test_4xx_answers_are_retried(
    db: Database,
    app_config: AppConfig,
    clock: FixedClock,
    server: Recorder,
    smtp_port: int,
    where: str,
    code: str,
) -> None:
    config = config_for(app_config, smtp_port)
    put(db, clock, 2)
    if where == "rcpt":
        server.rcpt_plan["a@x.test"] = [code]
    else:
        server.data_plan.append(code)
    report = jobs.send_mail(ctx(db, config, clock))
    assert report["retried"] >= 1 and report["failed"] == 0
    retried = [r for r in rows(db) if r.status == "pending"]
    assert retried and code[:3] in (retried[0].last_error or "")
    clock.advance(seconds=30)
    jobs.send_mail(ctx(db, config, clock))
    assert all(r.status == "sent" for r in rows(db))
    assert sorted(server.keys()) == sorted(r.dedupe_key for r in rows(db))


def test_550_fails_over_and_each_recipient_gets_one_copy(
    any_db: Database, app_config: AppConfig, clock: FixedClock, server: Recorder, smtp_port: int
) -> None:
    config = config_for(app_config, smtp_port)
    server.always_reject["gone@x.test"] = "550 5.1.1 mailbox unavailable"
    server.always_reject["chief@x.test"] = "550 5.1.1 mailbox unavailable"
    # duty is in the batch and in the fall-backs: it must not get a second copy
    put(
        any_db,
        clock,
        1,
        batch="esc",
        recipients=("gone@x.test", "duty@x.test"),
        fallbacks=("duty@x.test", "chief@x.test", "director@x.test"),
    )
    report = jobs.send_mail(ctx(any_db, config, clock))
    assert report["failed"] == 2 and report["failed_over"] == 2  # gone -> chief (also 550) -> director
    status = {r.recipient: r.status for r in rows(any_db)}
    assert status == {
        "gone@x.test": "failed",
        "duty@x.test": "sent",
        "chief@x.test": "failed",
        "director@x.test": "sent",
    }
    assert sorted(str(m["To"]) for m in server.messages) == ["director@x.test", "duty@x.test"]
    failed = next(r for r in rows(any_db) if r.recipient == "gone@x.test")
    assert "550" in (failed.last_error or "")
    clock.advance(hours=1)
    assert jobs.send_mail(ctx(any_db, config, clock))["claimed"] == 0


def test_missing_attachment_fails_without_retry(
    db: Database, app_config: AppConfig, clock: FixedClock, server: Recorder, smtp_port: int, tmp_path: Path
) -> None:
    put(db, clock, 1, attachments=(str(tmp_path / "missing.docx"),))
    report = jobs.send_mail(ctx(db, config_for(app_config, smtp_port), clock))
    assert report["failed"] == 1 and server.messages == []
    assert "missing.docx" in (rows(db)[0].last_error or "")


def test_concurrent_claims_never_share_a_row(any_db: Database, clock: FixedClock) -> None:
    put(any_db, clock, 40)
    results: list[list[int]] = []
    lock = threading.Lock()

    def worker() -> None:
        got = [c.id for c in claim(any_db, clock.now(), mail_from="y@x.test", limit=15)]
        with lock:
            results.append(got)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed))  # nobody got a row another sender holds
    if any_db.engine.dialect.name == "postgresql":
        assert len(claimed) == 40  # SKIP LOCKED: the senders took disjoint rows side by side
    rest = [c.id for c in claim(any_db, clock.now(), mail_from="y@x.test", limit=100)]
    assert sorted(claimed + rest) == sorted({*claimed, *rest}) and len(claimed + rest) == 40
    assert claim(any_db, clock.now(), mail_from="y@x.test") == []  # all leased
    clock.advance(seconds=301)
    assert len(claim(any_db, clock.now(), mail_from="y@x.test", limit=100)) == 40  # leases expired


def test_mail_test_command(
    app_config: AppConfig, server: Recorder, smtp_port: int, clock: FixedClock
) -> None:
    config = config_for(app_config, smtp_port)
    answer = jobs.send_test_mail(config.settings, "me@x.test", clock.now())
    assert "accepted" in answer
    [mail] = server.messages
    assert mail["Subject"] == "[测试] 舆情监测平台邮件发送测试" and str(mail["To"]) == "me@x.test"
