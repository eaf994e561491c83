"""Retention of old raw items: texts older than the configured age are deleted, while events, bursts, alerts
and the hourly rollups (the figures the dashboard and reports use) are kept."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select, update

from core.clock import Clock
from core.db import Database
from core.models import Alert, Item, Label, ResponseTask

logger = logging.getLogger(__name__)


def prune_items(db: Database, clock: Clock, retention_days: int, *, batch_size: int = 5000) -> int:
    """Delete items fetched more than `retention_days` ago, except those an open alert or a running timer
    still needs. Works in batches so a large backlog never holds a long write lock. 0 keeps everything."""
    if retention_days <= 0:
        return 0
    cutoff = clock.now() - timedelta(days=retention_days)
    deleted = 0
    while True:
        with db.session() as session:
            needed_by_alerts = select(Alert.item_id).where(
                Alert.state != "resolved", Alert.item_id.is_not(None)
            )
            needed_by_timers = select(ResponseTask.item_id).where(
                ResponseTask.state.in_(("running", "paused")), ResponseTask.item_id.is_not(None)
            )
            ids = list(
                session.scalars(
                    select(Item.id)
                    .where(Item.fetched_at < cutoff)
                    .where(Item.id.not_in(needed_by_alerts))
                    .where(Item.id.not_in(needed_by_timers))
                    .order_by(Item.id)
                    .limit(batch_size)
                )
            )
            if not ids:
                break
            # Keep the references on surviving rows valid without cascading their deletion.
            session.execute(update(Alert).where(Alert.item_id.in_(ids)).values(item_id=None))
            session.execute(delete(Label).where(Label.item_id.in_(ids)))
            session.execute(delete(ResponseTask).where(ResponseTask.item_id.in_(ids)))
            session.execute(delete(Item).where(Item.id.in_(ids)))
            deleted += len(ids)
    if deleted:
        logger.info("retention: deleted %d items fetched before %s", deleted, cutoff.isoformat())
    return deleted


def backup_sqlite(db: Database, target: str) -> None:
    """A consistent copy of a live SQLite database (the online backup API; writers may keep writing)."""
    import sqlite3

    if db.engine.dialect.name != "sqlite":
        raise ValueError("backup_sqlite works on SQLite only; use pg_dump for PostgreSQL")
    raw = db.engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with sqlite3.connect(target) as dest:
            source.backup(dest)
    finally:
        raw.close()
