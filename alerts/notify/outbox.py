"""The outbox: notifications are rows written in the transaction that causes them; a sender claims due rows
with a lease, delivers them, and marks them sent, retried (exponential backoff) or failed (with fail-over).

A dedupe key `<batch>|<recipient>` is unique, so each recipient gets at most one copy of a batch, fail-overs
included. A sender killed between the SMTP '250' and the mark leaves the row claimed; when the lease expires
it is sent again with the same Message-ID: at most one duplicate per crash, nothing lost.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from alerts.content import MailContent
from alerts.notify.smtp import ConnectionFailed, MailTransport, build_message, message_id
from core.clock import Clock
from core.db import Database
from core.errors import NotifyError
from core.models import Notification

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_ATTEMPTS = 12  # about five hours of retries before a transient problem counts as a failure
DEFAULT_LEASE_SECONDS = 300.0
DEFAULT_BATCH = 50


def recipient_key(address: str) -> str:
    key = address.strip().lower()
    return key if len(key) <= 100 else hashlib.sha1(key.encode()).hexdigest()


def dedupe_key(batch: str, recipient: str) -> str:
    return f"{batch}|{recipient_key(recipient)}"


def batch_of(key: str) -> str:
    return key.rpartition("|")[0] or key


def _unique(addresses: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for address in addresses:
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def enqueue(
    session: Session,
    now: datetime,
    *,
    batch: str,
    kind: str,
    recipients: Sequence[str],
    mail: MailContent,
    alert_id: int | None = None,
    fallbacks: Sequence[str] = (),
    not_before: datetime | None = None,
) -> list[Notification]:
    """Add one pending row per recipient of `batch` (skipping recipients that already have one).

    Call it inside the transaction that makes the change the mail reports on.
    """
    if len(batch) > 95:
        batch = batch[:60] + "~" + hashlib.sha1(batch.encode()).hexdigest()[:20]
    targets = _unique(recipients)
    if not targets:
        return []
    keys = {dedupe_key(batch, r): r for r in targets}
    existing = set(session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))))
    lowered = {t.lower() for t in targets}
    spare = [f for f in _unique(fallbacks) if f.lower() not in lowered]
    rows = []
    for key, recipient in keys.items():
        if key in existing:
            continue
        row = Notification(
            dedupe_key=key,
            kind=kind,
            channel="email",
            recipient=recipient,
            fallbacks=spare,
            subject=mail.subject,
            body_text=mail.text,
            body_html=mail.html,
            attachments=list(mail.attachments),
            alert_id=alert_id,
            status="pending",
            attempts=0,
            next_attempt_at=not_before or now,
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    return rows


# --- sending ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    dedupe_key: str
    kind: str
    recipient: str
    fallbacks: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str | None
    attachments: tuple[str, ...]
    alert_id: int | None
    attempts: int  # including this one
    message_id: str


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    failed_over: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "failed_over": self.failed_over,
            "errors": self.errors[:5],
        }


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s, ... capped at an hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def claim(
    db: Database,
    now: datetime,
    *,
    mail_from: str,
    limit: int = DEFAULT_BATCH,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> list[Claimed]:
    """Take up to `limit` due rows under a lease. On PostgreSQL rows locked by another sender are skipped;
    everywhere a conditional UPDATE makes sure only one sender wins a row."""
    lease_until = now + timedelta(seconds=lease_seconds)
    claimed: list[Claimed] = []
    with db.session() as session:
        stmt = (
            select(Notification)
            .where(
                Notification.status == "pending",
                Notification.next_attempt_at <= now,
                or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        )
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = session.scalars(stmt).all()
        for row in rows:
            msg_id = row.message_id or message_id(row.dedupe_key, mail_from)
            result = session.execute(
                update(Notification)
                .where(
                    Notification.id == row.id,
                    Notification.status == "pending",
                    or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
                )
                .values(claimed_until=lease_until, attempts=Notification.attempts + 1, message_id=msg_id)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                continue
            claimed.append(
                Claimed(
                    id=row.id,
                    dedupe_key=row.dedupe_key,
                    kind=row.kind,
                    recipient=row.recipient,
                    fallbacks=tuple(row.fallbacks or ()),
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                    attachments=tuple(row.attachments or ()),
                    alert_id=row.alert_id,
                    attempts=row.attempts + 1,
                    message_id=msg_id,
                )
            )
    return claimed


def mark_sent(db: Database, notification_id: int, now: datetime) -> None:
    with db.session() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )


def mark_retry(db: Database, notification_id: int, attempts: int, now: datetime, error: str) -> bool:
    """Schedule another attempt; after MAX_ATTEMPTS the row fails (and fails over). Returns True if retried."""
    if attempts >= MAX_ATTEMPTS:
        mark_failed(db, notification_id, now, f"gave up after {attempts} attempts: {error}")
        return False
    with db.session() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(claimed_until=None, next_attempt_at=now + backoff(attempts), last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
    return True


def mark_failed(db: Database, notification_id: int, now: datetime, error: str) -> int | None:
    """Mark the row failed and hand the message to the next fall-back recipient that has not had this batch.

    Returns the id of the fail-over row, if one was written (in the same transaction as the failure)."""
    with db.session() as session:
        row = session.get(Notification, notification_id)
        if row is None:
            return None
        row.status = "failed"
        row.claimed_until = None
        row.last_error = error[:2000]
        batch = batch_of(row.dedupe_key)
        remaining = list(row.fallbacks or [])
        while remaining:
            recipient = remaining.pop(0)
            key = dedupe_key(batch, recipient)
            if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
                continue  # that recipient already has (or had) this batch: never a second copy
            fallback = Notification(
                dedupe_key=key,
                kind=row.kind,
                channel=row.channel,
                recipient=recipient,
                fallbacks=remaining,
                subject=row.subject,
                body_text=row.body_text,
                body_html=row.body_html,
                attachments=list(row.attachments or []),
                alert_id=row.alert_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                last_error=f"fail-over from {row.recipient}: {error}"[:2000],
            )
            session.add(fallback)
            session.flush()
            logger.warning(
                "notification %s to %s failed permanently; failing over to the next recipient",
                notification_id,
                row.recipient,
            )
            return fallback.id
        logger.error(
            "notification %s failed permanently and has no fall-back left: %s", notification_id, error
        )
        return None


def deliver_due(
    db: Database,
    clock: Clock,
    transport: MailTransport,
    *,
    mail_from: str,
    limit: int = DEFAULT_BATCH,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    max_batches: int = 20,
) -> DeliveryReport:
    """Deliver what is due, batch after batch, until nothing is due or the server is unreachable."""
    report = DeliveryReport()
    try:
        for _ in range(max_batches):
            batch = claim(db, clock.now(), mail_from=mail_from, limit=limit, lease_seconds=lease_seconds)
            report.claimed += len(batch)
            if not batch:
                break
            # Fail-over rows written by this batch are due at once, so the loop runs until nothing is due.
            if _deliver_batch(db, clock, transport, batch, mail_from, report):
                break
    finally:
        transport.close()
    return report


def _deliver_batch(
    db: Database,
    clock: Clock,
    transport: MailTransport,
    batch: Sequence[Claimed],
    mail_from: str,
    report: DeliveryReport,
) -> bool:
    for index, mail in enumerate(batch):
        try:
            message = build_message(
                mail_from=mail_from,
                recipient=mail.recipient,
                subject=mail.subject,
                body_text=mail.body_text,
                body_html=mail.body_html,
                attachments=mail.attachments,
                msg_id=mail.message_id,
                dedupe_key=mail.dedupe_key,
                date=clock.now(),
            )
            transport.send(message, mail_from, mail.recipient)
        except ConnectionFailed as exc:
            # The server is away: this and every other claimed row wait for the next pass.
            now = clock.now()
            for rest in batch[index:]:
                if mark_retry(db, rest.id, rest.attempts, now, str(exc)):
                    report.retried += 1
                else:
                    report.failed += 1
            report.errors.append(str(exc))
            logger.warning(
                "SMTP server unreachable; %d mail(s) wait for a retry: %s", len(batch) - index, exc
            )
            return True
        except NotifyError as exc:
            now = clock.now()
            report.errors.append(str(exc))
            if exc.permanent:
                report.failed += 1
                if mark_failed(db, mail.id, now, str(exc)) is not None:
                    report.failed_over += 1
            elif mark_retry(db, mail.id, mail.attempts, now, str(exc)):
                report.retried += 1
            else:
                report.failed += 1
            continue
        mark_sent(db, mail.id, clock.now())
        report.sent += 1
    return False
