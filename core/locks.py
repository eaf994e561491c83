"""Leader locks in the database, so that exactly one scheduler runs the jobs (a second one waits).

On SQLite: a lease row with an expiry that its holder renews by heartbeat; a holder that dies stops renewing,
the lease expires and a waiting process takes over (compare-and-set UPDATEs make it safe). On PostgreSQL: a
session advisory lock on a dedicated connection, released by the server the moment the holder's connection
dies, so a standby takes over without waiting for an expiry.
"""

from __future__ import annotations

import logging
import socket
import zlib
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.clock import Clock, ensure_utc
from core.db import Database
from core.models import SchedulerLock
from core.processes import pid_alive

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


class LeaderLock(Protocol):
    holder: str

    def try_acquire(self) -> bool:
        """Take or keep the lock; True while this process holds it. Called periodically."""
        ...

    def release(self) -> None: ...


class LeaseLock:
    """The portable lease (works on SQLite and PostgreSQL)."""

    def __init__(self, db: Database, name: str, holder: str, ttl: timedelta, clock: Clock) -> None:
        self.db, self.name, self.holder, self.ttl, self.clock = db, name, holder, ttl, clock

    def try_acquire(self) -> bool:
        if acquire(self.db, self.name, self.holder, self.ttl, self.clock):
            return True
        # A holder on this machine whose process is gone will never renew: take over now rather than
        # waiting out its lease (a restarted scheduler would otherwise sit idle for a whole TTL).
        current = holder_of(self.db, self.name, self.clock)
        if current is not None and holder_is_dead_here(current):
            logger.warning("lock %s held by %s, whose process is gone; taking over", self.name, current)
            with self.db.session() as session:
                taken = session.execute(
                    update(SchedulerLock)
                    .where(SchedulerLock.name == self.name, SchedulerLock.holder == current)
                    .values(
                        holder=self.holder,
                        acquired_at=self.clock.now(),
                        expires_at=self.clock.now() + self.ttl,
                    )
                )
                return bool(taken.rowcount)  # type: ignore[attr-defined]
        return False

    def release(self) -> None:
        release(self.db, self.name, self.holder)


def holder_is_dead_here(holder: str) -> bool:
    """Holders are named "<hostname>:<pid>:<nonce>"; True only for a holder on this host whose pid is gone."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    return not pid_alive(int(parts[1]))


class AdvisoryLock:
    """A PostgreSQL session advisory lock held on its own connection for as long as the process lives."""

    def __init__(self, db: Database, name: str, holder: str, ttl: timedelta, clock: Clock) -> None:
        self.db, self.name, self.holder, self.ttl, self.clock = db, name, holder, ttl, clock
        # Advisory lock keys are 64-bit integers; a stable hash of the name keeps them apart per lock name.
        self.key = zlib.crc32(f"yuqing:{name}".encode())
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._conn is None:
                conn = self.db.engine.connect()
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
                conn.commit()
                if not got:
                    conn.close()
                    return False
                self._conn = conn
            else:
                self._conn.execute(text("SELECT 1"))  # still connected means still holding
                self._conn.commit()
        except DBAPIError:
            logger.exception("lost the connection holding advisory lock %s", self.name)
            self._drop()
            return False
        self._record_holder()
        return True

    def _record_holder(self) -> None:
        """Informational only (who holds it, for logs and the dashboard); the advisory lock is the truth."""
        now = self.clock.now()
        with self.db.session() as session:
            session.execute(delete(SchedulerLock).where(SchedulerLock.name == self.name))
            session.execute(
                insert(SchedulerLock).values(
                    name=self.name, holder=self.holder, acquired_at=now, expires_at=now + self.ttl
                )
            )

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.commit()
            self._conn.close()
        except DBAPIError:
            self._drop()
        self._conn = None
        release(self.db, self.name, self.holder)


def leader_lock(db: Database, name: str, holder: str, ttl: timedelta, clock: Clock) -> LeaderLock:
    if db.engine.dialect.name == "postgresql":
        return AdvisoryLock(db, name, holder, ttl, clock)
    return LeaseLock(db, name, holder, ttl, clock)
