"""Leases in the database, so that exactly one scheduler runs the jobs (a second one waits).

A lease has an expiry; its holder renews it by heartbeat. A holder that dies stops renewing, the lease
expires and a waiting process takes over. Compare-and-set UPDATEs make this safe on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from core.clock import Clock, ensure_utc
from core.db import Database
from core.models import SchedulerLock

logger = logging.getLogger(__name__)


def acquire(db: Database, name: str, holder: str, ttl: timedelta, clock: Clock) -> bool:
    """Take or renew the lease `name` for `holder`. True if `holder` holds it afterwards."""
    now = clock.now()
    with db.session() as session:
        result = session.execute(
            update(SchedulerLock)
            .where(SchedulerLock.name == name)
            .where((SchedulerLock.holder == holder) | (SchedulerLock.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return True
        exists = session.scalar(select(SchedulerLock.name).where(SchedulerLock.name == name))
        if exists is not None:
            return False
    try:
        with db.session() as session:
            session.execute(
                insert(SchedulerLock).values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
            )
        return True
    except IntegrityError:
        return False  # another process inserted it first


def release(db: Database, name: str, holder: str) -> None:
    """Give the lease up at once (clean shutdown), so a waiting scheduler need not wait for expiry."""
    with db.session() as session:
        lock = session.get(SchedulerLock, name)
        if lock is not None and lock.holder == holder:
            session.delete(lock)


def holder_of(db: Database, name: str, clock: Clock) -> str | None:
    with db.session() as session:
        lock = session.get(SchedulerLock, name)
        if lock is None or ensure_utc(lock.expires_at) < clock.now():
            return None
        return lock.holder
