"""Batched, idempotent storage of crawled items and of what was seen (items, seen_urls).

One transaction per batch. Items are upserted on (source_id, external_id): new rows are inserted with
INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL), rows another process inserted meanwhile are
treated as existing, and the unique constraint is the final guard, so a row is never duplicated. An edit
of the citizen-visible text (content hash) bumps the revision and sends the item back to analysis
(status 'new'); a reply arriving updates the reply fields in place.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.clock import Clock, ensure_utc
from core.db import Database
from core.models import Item, SeenUrl
from crawlers.departments import DepartmentMatcher
from crawlers.items import CrawledItem
from crawlers.text import content_hash

logger = logging.getLogger(__name__)

ITEM_TABLE: Table = Item.__table__  # type: ignore[assignment]
SEEN_TABLE: Table = SeenUrl.__table__  # type: ignore[assignment]

# Fields copied from a crawled item onto the row (besides title/content, which go with the hash).
_PLAIN_FIELDS = (
    "url",
    "author",
    "media",
    "published_at",
    "published_raw",
    "region",
    "addressee",
    "request_type",
    "department",
    "source_status",
)
_REPLY_FIELDS = ("reply_at", "reply_text", "reply_department")


@dataclass(frozen=True)
class RevisitPolicy:
    """Unanswered posts are visited again every `interval` until answered or older than `max_age`."""

    interval: timedelta
    max_age: timedelta

    def next_visit(self, now: datetime, since: datetime | None, replied: bool) -> datetime | None:
        if replied:
            return None
        if since is not None and now - ensure_utc(since) > self.max_age:
            return None
        return now + self.interval


def item_hash(item: CrawledItem) -> str:
    """Hash of the citizen-visible text; a change means the post was edited."""
    return content_hash(item.title, item.content)


def dialect_insert(session: Session, table: Table) -> Any:
    """INSERT supporting ON CONFLICT for the session's backend (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"ON CONFLICT upserts are not implemented for {name}")


class ItemStore:
    """Buffers items and page outcomes; `flush()` writes a batch in one transaction.

    Counts (new, updated, unchanged, gone) only move after the batch commits, so they match the database.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        source_id: int,
        batch_size: int = 200,
        revisit: RevisitPolicy | None = None,
        departments: DepartmentMatcher | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.source_id = source_id
        self.batch_size = batch_size
        self.revisit = revisit
        self.departments = departments or DepartmentMatcher({})
        self.counts: Counter[str] = Counter()
        self._items: dict[str, CrawledItem] = {}
        self._touched: dict[str, None] = {}
        self._gone: dict[str, None] = {}
        self._retry: dict[str, None] = {}

    # --- buffering -------------------------------------------------------------------------------------

    def add(self, item: CrawledItem) -> None:
        self._items[item.external_id] = item  # the same id twice in a batch: the later copy wins
        self._maybe_flush()

    def touch(self, url: str) -> None:
        """The page did not change (HTTP 304): note the visit and schedule the next one."""
        self._touched[url] = None
        self._maybe_flush()

    def mark_gone(self, url: str) -> None:
        """The source answered 404/410 for a page we stored: keep the item, mark it deleted."""
        self._gone[url] = None
        self._maybe_flush()

    def retry_later(self, url: str) -> None:
        """The page could not be fetched this time; visit it at the start of the next run."""
        self._retry[url] = None
        self._maybe_flush()

    @property
    def pending(self) -> int:
        return len(self._items) + len(self._touched) + len(self._gone) + len(self._retry)

    def _maybe_flush(self) -> None:
        if self.pending >= self.batch_size:
            self.flush()

    # --- writing ---------------------------------------------------------------------------------------

    def flush(self) -> None:
        if not self.pending:
            return
        items, touched, gone, retry = (
            list(self._items.values()),
            list(self._touched),
            list(self._gone),
            list(self._retry),
        )
        self._items, self._touched, self._gone, self._retry = {}, {}, {}, {}
        counts: Counter[str] = Counter()
        now = self.clock.now()
        with self.db.session() as session:
            if items:
                self._store_items(session, items, now, counts)
            if retry:
                self._retry_rows(session, retry, now)
            if touched:
                self._touch_rows(session, touched, now, counts)
            if gone:
                self._gone_rows(session, gone, now, counts)
        self.counts.update(counts)

    def _store_items(
        self, session: Session, items: Sequence[CrawledItem], now: datetime, counts: Counter[str]
    ) -> None:
        existing = self._load(session, [i.external_id for i in items])
        fresh = [item for item in items if item.external_id not in existing]
        if fresh:
            rows = [self._insert_values(item, now) for item in fresh]
            # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" batches it with one cached
            # compilation (a literal multi-row VALUES recompiled thousands of bind parameters per batch).
            stmt = (
                dialect_insert(session, ITEM_TABLE)
                .on_conflict_do_nothing(index_elements=["source_id", "external_id"])
                .returning(ITEM_TABLE.c.external_id)
            )
            inserted = set(session.scalars(stmt, rows))
            counts["new"] += len(inserted)
            raced = [item for item in fresh if item.external_id not in inserted]
            if raced:  # another process stored them between our select and insert: update instead
                logger.info("%d item(s) were inserted concurrently; updating them", len(raced))
                existing.update(self._load(session, [i.external_id for i in raced]))
        for item in items:
            row = existing.get(item.external_id)
            if row is not None:
                counts["updated" if self._update_row(row, item, now) else "unchanged"] += 1
        session.flush()
        self._upsert_seen(session, items, now)

    def _load(self, session: Session, external_ids: Iterable[str]) -> dict[str, Item]:
        ids = list(external_ids)
        if not ids:
            return {}
        rows = session.scalars(
            select(Item).where(Item.source_id == self.source_id, Item.external_id.in_(ids))
        )
        return {row.external_id: row for row in rows}

    def _insert_values(self, item: CrawledItem, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(item, name) for name in _PLAIN_FIELDS + _REPLY_FIELDS}
        values.update(
            source_id=self.source_id,
            external_id=item.external_id,
            kind=item.kind,
            title=item.title[:500],
            content=item.content,
            reply_status=item.reply_status,
            department_id=self.departments.match(item.department, item.addressee, item.reply_department),
            content_hash=item_hash(item),
            revision=1,
            status="new",
            fetched_at=now,
            updated_at=now,
            extra=item.extra or {},
            simhash=None,
            deleted_at=None,
            error_reason=None,
            event_id=None,
        )
        for name in ("author", "media", "region", "addressee", "department", "reply_department"):
            if values[name] is not None:
                values[name] = values[name][:200]
        return values

    def _update_row(self, row: Item, item: CrawledItem, now: datetime) -> bool:
        """Apply a fresh copy of a stored item; True when anything changed."""
        changed = False
        new_hash = item_hash(item)
        if row.content_hash != new_hash:
            row.title = item.title[:500]
            row.content = item.content
            row.content_hash = new_hash
            row.revision = (row.revision or 1) + 1
            row.status = "new"  # analysed again
            row.error_reason = None
            changed = True
        for name in _PLAIN_FIELDS:
            value = getattr(item, name)
            if name in ("author", "media", "region", "addressee", "department") and value is not None:
                value = value[:200]
            current = getattr(row, name)
            if name in ("published_at", "published_raw") and current is not None:
                continue  # first publication time stands; relative dates ("3分钟前") would drift on revisits
            # A field the page lost (malformed copy) never blanks what we already have.
            if value is not None and value != current:
                setattr(row, name, value)
                changed = True
        # Replies only move forward: a reply once stored is not taken back by a page that lacks it.
        if item.reply_status == "replied" or row.reply_status != "replied":
            if row.reply_status != item.reply_status:
                row.reply_status = item.reply_status
                changed = True
            for name in _REPLY_FIELDS:
                value = getattr(item, name)
                current = getattr(row, name)
                if name == "reply_at" and current is not None:
                    current = ensure_utc(current)
                if value is not None and value != current:
                    setattr(row, name, value)
                    changed = True
        if item.extra and item.extra != (row.extra or {}):
            row.extra = {**(row.extra or {}), **item.extra}
            changed = True
        if row.deleted_at is not None:  # the source shows it again
            row.deleted_at = None
            changed = True
        if changed:
            dept = self.departments.match(row.department, row.addressee, row.reply_department)
            if dept is not None:
                row.department_id = dept
            row.updated_at = now
        return changed

    def _upsert_seen(self, session: Session, items: Sequence[CrawledItem], now: datetime) -> None:
        by_url: dict[str, dict[str, Any]] = {}
        first_seen = {}
        urls = [item.url for item in items if item.url]
        if not urls:
            return
        if self.revisit is not None:
            first_seen = dict(
                session.execute(
                    select(SeenUrl.url, SeenUrl.first_seen_at).where(
                        SeenUrl.source_id == self.source_id, SeenUrl.url.in_(urls)
                    )
                ).all()
            )
        for item in items:
            if not item.url:
                continue
            next_visit = None
            if self.revisit is not None:
                since = item.published_at or first_seen.get(item.url) or now
                next_visit = self.revisit.next_visit(now, since, item.reply_status == "replied")
            by_url[item.url] = {
                "source_id": self.source_id,
                "url": item.url[:1000],
                "external_id": item.external_id,
                "etag": (item.etag or None) and item.etag[:200],
                "last_modified": (item.last_modified or None) and item.last_modified[:100],
                "content_hash": item_hash(item),
                "first_seen_at": now,
                "last_seen_at": now,
                "next_visit_at": next_visit,
                "gone": False,
            }
        stmt = dialect_insert(session, SEEN_TABLE)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source_id", "url"],
            set_={
                name: stmt.excluded[name]
                for name in ("external_id", "etag", "last_modified", "content_hash", "last_seen_at",
                             "next_visit_at", "gone")
            },
        )  # fmt: skip
        session.execute(stmt, list(by_url.values()))

    def _retry_rows(self, session: Session, urls: Sequence[str], now: datetime) -> None:
        rows = [
            {"source_id": self.source_id, "url": url[:1000], "first_seen_at": now, "last_seen_at": now,
             "next_visit_at": now, "gone": False}
            for url in urls
        ]  # fmt: skip
        stmt = dialect_insert(session, SEEN_TABLE)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["source_id", "url"], set_={"next_visit_at": stmt.excluded.next_visit_at}
            ),
            rows,
        )

    def _touch_rows(self, session: Session, urls: Sequence[str], now: datetime, counts: Counter[str]) -> None:
        rows = session.scalars(
            select(SeenUrl).where(SeenUrl.source_id == self.source_id, SeenUrl.url.in_(urls))
        )
        for row in rows:
            row.last_seen_at = now
            row.next_visit_at = (
                self.revisit.next_visit(now, row.first_seen_at, replied=False) if self.revisit else None
            )
            counts["unchanged"] += 1

    def _gone_rows(self, session: Session, urls: Sequence[str], now: datetime, counts: Counter[str]) -> None:
        rows = list(
            session.scalars(select(SeenUrl).where(SeenUrl.source_id == self.source_id, SeenUrl.url.in_(urls)))
        )
        external_ids = [row.external_id for row in rows if row.external_id]
        for row in rows:
            row.gone = True
            row.next_visit_at = None
            row.last_seen_at = now
        if external_ids:
            result = session.execute(
                update(Item)
                .where(
                    Item.source_id == self.source_id,
                    Item.external_id.in_(external_ids),
                    Item.deleted_at.is_(None),
                )
                .values(deleted_at=now, updated_at=now)
            )
            counts["gone"] += result.rowcount  # type: ignore[attr-defined]
