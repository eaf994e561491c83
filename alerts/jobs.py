"""Scheduled entry points of the alerts stage: `evaluate` (timers, rules, inhibition, notification and
escalation), `send_mail` (deliver the outbox) and `send_digest` (leaders' digests). The CLI runs the same.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from alerts import escalation, rules
from alerts.content import render_test_mail
from alerts.notify.outbox import deliver_due
from alerts.notify.smtp import TRANSPORTS, build_message, message_id
from alerts.routing import update_inhibition
from alerts.timers import sync_timers
from core.runtime import JobContext
from core.settings import Settings

logger = logging.getLogger(__name__)


def evaluate(ctx: JobContext) -> dict[str, Any]:
    """One pass: response timers first (they feed the timer rule), then the rules, inhibition and the
    notification/escalation step. Alert changes and their outbox rows share one transaction."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        timer_counts = sync_timers(session, ctx.config, now)
    with ctx.db.session() as session:
        candidates, evaluated = rules.collect(session, ctx.config, now)
        rule_counts = rules.apply(session, ctx.config, now, candidates, evaluated)
        session.flush()
        inhibited = update_inhibition(session, now)
        esc_counts = escalation.process(session, ctx.config, now)
    summary = {
        "timers": timer_counts.as_dict(),
        "rules": rule_counts.as_dict(),
        "inhibition_changes": inhibited,
        "notify": esc_counts.as_dict(),
    }
    logger.info(
        "alerts evaluated: %d candidates, %d opened, %d level rises, %d mails, %d escalations, %d timers started",
        rule_counts.candidates,
        rule_counts.opened,
        esc_counts.level_rises,
        esc_counts.notified,
        esc_counts.escalated,
        timer_counts.created,
    )
    return summary


def transport_for(settings: Settings) -> Any:
    return TRANSPORTS["email"].from_settings(settings)


def send_mail(ctx: JobContext) -> dict[str, Any]:
    """Deliver what is due in the outbox (retry with backoff, fail-over on 5xx)."""
    settings = ctx.config.settings
    report = deliver_due(ctx.db, ctx.clock, transport_for(settings), mail_from=settings.mail_from)
    if report.claimed:
        logger.info(
            "mail: %d sent, %d to retry, %d failed (%d failed over)",
            report.sent,
            report.retried,
            report.failed,
            report.failed_over,
        )
    return report.as_dict()


def send_digest(ctx: JobContext) -> dict[str, Any]:
    """Write leaders' digests to the outbox (send_mail delivers them)."""
    with ctx.db.session() as session:
        written = escalation.digests(session, ctx.config, ctx.clock.now())
    return {"digests": written}


def send_test_mail(settings: Settings, address: str, now: datetime) -> str:
    """Send a test mail straight through SMTP (not the outbox) and return what happened; raises NotifyError."""
    transport = transport_for(settings)
    server = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    mail = render_test_mail(server, settings.office_name, now)
    key = f"test:{now.isoformat()}|{address}"
    message = build_message(
        mail_from=settings.mail_from,
        recipient=address,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        attachments=(),
        msg_id=message_id(key, settings.mail_from),
        dedupe_key=key,
        date=now,
    )
    try:
        answer = transport.send(message, settings.mail_from, address)
    finally:
        transport.close()
    return f"{server} accepted the test mail for {address}: {answer}"
