"""Scheduled entry points: the weekly report (Monday morning, for the week just ended), the daily brief (each
morning, for yesterday, if enabled) and the reports requested from the dashboard ("generate now")."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from core.clock import ensure_utc, to_local
from core.models import Report
from core.runtime import JobContext
from reports.build import build_and_record
from reports.periods import Period, last_full_week, period_for, yesterday

logger = logging.getLogger(__name__)


def weekly(ctx: JobContext) -> dict[str, Any]:
    """Build last week's report and mail it to the leaders with the .docx attached."""
    return _scheduled(ctx, last_full_week(ctx.clock.now()))


def daily(ctx: JobContext) -> dict[str, Any]:
    """Build yesterday's brief and mail it, unless Settings.daily_brief_enabled is off."""
    if not ctx.config.settings.daily_brief_enabled:
        return {"status": "disabled"}
    return _scheduled(ctx, yesterday(ctx.clock.now()))


def _scheduled(ctx: JobContext, period: Period) -> dict[str, Any]:
    built, queued = build_and_record(ctx.config, ctx.db, ctx.clock, period, mail=True)
    return {"period": period.slug, "items": built.items, "empty": built.empty, "mails_queued": queued}


def process_requests(ctx: JobContext) -> dict[str, Any]:
    """Build every report the dashboard asked for (status 'requested'); each ends 'done' or 'error'."""
    with ctx.db.session() as s:
        pending = [
            (r.id, r.kind, ensure_utc(r.period_start))
            for r in s.scalars(select(Report).where(Report.status == "requested").order_by(Report.id))
        ]
    built = failed = 0
    for report_id, kind, start in pending:
        try:
            period = period_for(kind, to_local(start).date())
            build_and_record(ctx.config, ctx.db, ctx.clock, period, requested_by=None)
            built += 1
        except Exception as exc:  # one broken request must not block the others; recorded on its row
            logger.exception("report %s (%s %s) failed", report_id, kind, start.isoformat())
            with ctx.db.session() as s:
                row = s.get(Report, report_id)
                if row is not None:
                    row.status = "error"
                    row.error = f"{type(exc).__name__}: {exc}"[:2000]
            failed += 1
    return {"built": built, "failed": failed}
