"""Retention deletes old raw items but keeps events, figures and anything an open alert or timer needs;
the SQLite online backup copies a live database."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.clock import FixedClock
from core.db import Database
from core.models import Alert, Event, HourlyRollup, Item, ItemAnalysis, ResponseTask, Source
from core.retention import backup_sqlite, prune_items


def _seed(db: Database, clock: FixedClock) -> dict[str, int]:
    now = clock.now()
    old = now - timedelta(days=400)
    with db.session() as s:
        src = Source(key="b", name="b", kind="board", created_at=old, state={})
        s.add(src)
        s.flush()
        event = Event(title="e", first_seen_at=old, last_seen_at=old, updated_at=old, item_count=3)
        s.add(event)
        s.flush()
        items = {}
        for name, when in (("old_plain", old), ("old_alerted", old), ("old_timed", old), ("fresh", now)):
            item = Item(
                source_id=src.id,
                external_id=name,
                kind="board",
                title=name,
                content="x",
                fetched_at=when,
                updated_at=when,
                content_hash=name,
                event_id=event.id,
            )
            s.add(item)
            s.flush()
            s.add(
                ItemAnalysis(
                    item_id=item.id,
                    sentiment="negative",
                    sentiment_score=0.1,
                    model_version="t",
                    analyzed_at=when,
                )
            )
            items[name] = item.id
        s.add(
            Alert(
                fingerprint="f",
                rule="scheme_always",
                level=4,
                state="triggered",
                title="t",
                opened_at=old,
                updated_at=old,
                item_id=items["old_alerted"],
            )
        )
        s.add(
            ResponseTask(
                item_id=items["old_timed"],
                kind="board_reply",
                started_at=old,
                due_at=old,
                state="running",
                updated_at=old,
            )
        )
        s.add(HourlyRollup(hour=old, kind="board", sentiment="negative", count=3))
        return {**items, "event": event.id}


def test_prune_keeps_figures_events_and_what_is_still_needed(any_db: Database, clock: FixedClock) -> None:
    ids = _seed(any_db, clock)
    assert prune_items(any_db, clock, retention_days=0) == 0
    assert prune_items(any_db, clock, retention_days=365) == 1
    with any_db.session() as s:
        remaining = set(s.scalars(select(Item.external_id)))
        assert remaining == {"old_alerted", "old_timed", "fresh"}
        assert s.get(Event, ids["event"]) is not None
        assert s.scalar(select(func.sum(HourlyRollup.count))) == 3
        assert s.get(ItemAnalysis, ids["old_plain"]) is None  # its analysis went with it
    assert prune_items(any_db, clock, retention_days=365) == 0  # idempotent


def test_online_backup_of_sqlite(sqlite_url: str, clock: FixedClock, tmp_path: Path) -> None:
    db = Database(sqlite_url)
    _seed(db, clock)
    target = tmp_path / "backup.db"
    backup_sqlite(db, str(target))
    with sqlite3.connect(target) as conn:
        assert conn.execute("select count(*) from items").fetchone()[0] == 4
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
