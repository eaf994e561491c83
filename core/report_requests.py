"""Asking for a report to be built now (the dashboard's "generate now"): a Report row with status 'requested',
which reports.jobs.process_requests builds within a minute. Lives in core so the dashboard need not import
reports/."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core.clock import SHANGHAI, Clock, ensure_utc
from core.db import Database
from core.errors import InputError
from core.models import AuditLog, Report

REPORT_KINDS = {"weekly": 7, "daily": 1}


def report_period(kind: str, day: date) -> tuple[datetime, datetime]:
    """UTC bounds of the report period containing `day` (local): Monday to Sunday, or the day itself."""
    if kind not in REPORT_KINDS:
        raise InputError(f"unknown report kind {kind!r}; use weekly or daily")
    first = day - timedelta(days=day.weekday()) if kind == "weekly" else day
    start = datetime.combine(first, time(0, 0), tzinfo=SHANGHAI)
    end = datetime.combine(first + timedelta(days=REPORT_KINDS[kind]), time(0, 0), tzinfo=SHANGHAI)
    return ensure_utc(start), ensure_utc(end)


def request_report(db: Database, clock: Clock, username: str, kind: str, period_start: date) -> int:
    """Ask for the `kind` report of the period containing `period_start` (a weekly one snaps to its Monday).

    Re-requesting a period that was built before rebuilds it. Returns the Report id.
    Raises InputError for an unknown kind or a period that has not begun.
    """
    start, end = report_period(kind, period_start)
    now = clock.now()
    if start > now:
        raise InputError("该报告期尚未开始，无法生成报告")
    with db.session() as s:
        row = s.scalar(select(Report).where(Report.kind == kind, Report.period_start == start))
        if row is None:
            row = Report(kind=kind, period_start=start, period_end=end)
            s.add(row)
        row.status = "requested"
        row.requested_by = username
        row.error = None
        s.flush()
        s.add(
            AuditLog(
                at=now,
                actor=username,
                action="report_request",
                object_type="report",
                object_id=str(row.id),
                detail={"kind": kind, "period_start": start.isoformat()},
            )
        )
        return row.id
