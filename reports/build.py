"""Building a report end to end: collect the data, compose, write .docx and .html, record the Report row and
queue the mail (Notification rows with the .docx attached) to the leaders in config/alerts.yaml.

The Report row and its notifications are written in one transaction; each notification's dedupe key names
the report and the recipient, so a job that runs twice never mails twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database
from core.models import Notification, Report
from core.settings import AppConfig
from reports.compose import daily_document, weekly_document
from reports.daily import collect_daily
from reports.document import ReportDocument
from reports.periods import Period
from reports.render_docx import write_docx
from reports.render_html import build_html, write_html
from reports.weekly import collect_weekly

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltReport:
    period: Period
    document: ReportDocument
    html: str
    docx_path: Path
    html_path: Path
    empty: bool
    items: int

    @property
    def kind(self) -> str:
        return self.period.kind


def file_stem(period: Period) -> str:
    return f"{period.kind}-{period.slug}"


def build(
    config: AppConfig, db: Database, period: Period, out_dir: Path, generated_at: datetime
) -> BuiltReport:
    """Collect, compose and write both files (atomically) for one period."""
    if period.kind == "weekly":
        weekly = collect_weekly(db, config, period, generated_at)
        document, empty, items = weekly_document(weekly), weekly.is_empty, weekly.current.items_total
    else:
        daily = collect_daily(db, config, period, generated_at)
        document, empty, items = daily_document(daily), daily.is_empty, daily.current.items_total
    out_dir = out_dir.resolve()
    stem = file_stem(period)
    docx_path = write_docx(document, out_dir / f"{stem}.docx")
    html = build_html(document)
    html_path = write_html(document, out_dir / f"{stem}.html")
    logger.info("built %s report %s (%d items) in %s", period.kind, period.slug, items, out_dir)
    return BuiltReport(period, document, html, docx_path, html_path, empty, items)


def report_row(session: Session, period: Period) -> Report | None:
    return session.scalar(
        select(Report).where(Report.kind == period.kind, Report.period_start == period.start)
    )


def record(
    session: Session, built: BuiltReport, generated_at: datetime, requested_by: str | None = None
) -> Report:
    """Upsert the Report row of the period as done, with the file paths."""
    row = report_row(session, built.period)
    if row is None:
        row = Report(kind=built.kind, period_start=built.period.start, period_end=built.period.end)
        session.add(row)
    row.period_end = built.period.end
    row.status = "done"
    if requested_by:
        row.requested_by = requested_by
    row.generated_at = generated_at
    row.docx_path = str(built.docx_path)
    row.html_path = str(built.html_path)
    row.error = None
    session.flush()
    return row


def recipients(config: AppConfig) -> list[str]:
    """The leaders of config/alerts.yaml, each once, in file order."""
    seen: list[str] = []
    for leader in config.alerts.leaders:
        email = leader.email.strip()
        if email and email.lower() not in {s.lower() for s in seen}:
            seen.append(email)
    return seen


def dedupe_key(period: Period, email: str) -> str:
    return f"report:{period.kind}:{period.first_day.isoformat()}:{email.lower()}"


def subject(built: BuiltReport) -> str:
    doc = built.document
    return f"【{doc.masthead}】{doc.office} {built.period.label}"


def queue_mail(session: Session, built: BuiltReport, emails: list[str], now: datetime) -> int:
    """Insert one pending Notification per recipient not yet queued for this report; returns how many."""
    keys = {dedupe_key(built.period, e): e for e in emails}
    if not keys:
        return 0
    existing = set(
        session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys))))
    )
    body_text = built.document.plain_text() + f"\n附件：{built.docx_path.name}\n"
    added = 0
    for key, email in keys.items():
        if key in existing:
            continue
        session.add(
            Notification(
                dedupe_key=key,
                kind="report",
                channel="email",
                recipient=email,
                fallbacks=[],
                subject=subject(built),
                body_text=body_text,
                body_html=built.html,
                attachments=[str(built.docx_path)],
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        added += 1
    session.flush()
    return added


def build_and_record(
    config: AppConfig,
    db: Database,
    clock: Clock,
    period: Period,
    *,
    out_dir: Path | None = None,
    mail: bool = False,
    requested_by: str | None = None,
) -> tuple[BuiltReport, int]:
    """Build the period's report, record it, and (with `mail`) queue it to the leaders: (report, mails queued)."""
    now = clock.now()
    built = build(config, db, period, out_dir or config.settings.reports_dir, now)
    with db.session() as s:
        record(s, built, now, requested_by)
        queued = queue_mail(s, built, recipients(config), now) if mail else 0
    if mail and not recipients(config):
        logger.warning("no leaders in alerts.yaml; the %s report was not mailed", period.kind)
    return built, queued
