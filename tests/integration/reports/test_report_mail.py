"""End to end: the weekly job queues the report, the alerts outbox sender delivers it to a real aiosmtpd
server, and each leader's mail arrives with the HTML body and the .docx attached (byte for byte)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from alerts.jobs import send_mail
from core.clock import FixedClock
from core.db import Database
from core.models import Notification, Report
from core.runtime import JobContext
from core.settings import AppConfig
from reports import jobs
from tests.integration.alerts.smtpserver import Recorder, start_server
from tests.integration.reports.seed import Seeded
from tests.pgserver import free_port

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = start_server(recorder, port)
    try:
        yield recorder, port
    finally:
        controller.stop()


def test_weekly_report_mail_arrives_with_the_docx(
    db: Database, seeded: Seeded, app_config: AppConfig, monday_clock: FixedClock, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    settings = app_config.settings.model_copy(update={"smtp_port": port, "mail_from": "yuqing@gov.example"})
    context = JobContext(config=dataclasses.replace(app_config, settings=settings), db=db, clock=monday_clock)

    assert jobs.weekly(context)["mails_queued"] == 2
    delivered = send_mail(context)
    assert delivered["sent"] == 2

    with db.session() as s:
        docx_path = Path(s.scalars(select(Report.docx_path)).one() or "")
        assert set(s.scalars(select(Notification.status))) == {"sent"}
    assert sorted(m["To"] for m in recorder.messages) == [
        "deputy-mayor@yunjiang.gov.example", "secretary-general@yunjiang.gov.example",
    ]  # fmt: skip
    for message in recorder.messages:
        assert message["Subject"] == "【舆情周报】某市人民政府办公室 2026年第47周（11月16日—11月22日）"
        html = message.get_body(preferencelist=("html",))
        assert html is not None and "全市舆情监测周报" in html.get_content()
        assert "&lt;script&gt;" in html.get_content() and "<script>" not in html.get_content()
        text = message.get_body(preferencelist=("plain",))
        assert text is not None and "信息总量（条） | 21 | 12 | +9" in text.get_content()
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename() == "weekly-2026-W47.docx"
        assert attachment.get_content_type() == DOCX_TYPE
        payload = attachment.get_content()
        assert payload == docx_path.read_bytes()
        assert "一、总体情况" in [p.text for p in Document(io.BytesIO(payload)).paragraphs]

    # Delivered once: another sender pass finds nothing to send.
    assert send_mail(context)["sent"] == 0
    assert len(recorder.messages) == 2
