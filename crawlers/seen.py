"""Read side of incremental crawling: which URLs and items a source already has, and what is due again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from core.clock import ensure_utc
from core.db import Database
from core.models import Item, SeenUrl


@dataclass(frozen=True)
class SeenPage:
    url: str
    external_id: str | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    gone: bool


class SeenIndex:
    """Queries per list page (not one big preload), so memory stays flat on sources with long histories."""

    def __init__(self, db: Database | None, source_id: int | None) -> None:
        self.db = db
        self.source_id = source_id

    def pages(self, urls: Iterable[str]) -> dict[str, SeenPage]:
        wanted = list(dict.fromkeys(urls))
        if self.db is None or not wanted:
            return {}
        found: dict[str, SeenPage] = {}
        with self.db.session() as session:
            for start in range(0, len(wanted), 500):
                rows = session.execute(
                    select(
                        SeenUrl.url, SeenUrl.external_id, SeenUrl.etag, SeenUrl.last_modified, SeenUrl.content_hash,
                        SeenUrl.first_seen_at, SeenUrl.last_seen_at, SeenUrl.gone,
                    ).where(SeenUrl.source_id == self.source_id, SeenUrl.url.in_(wanted[start : start + 500]))
                )  # fmt: skip
                for row in rows:
                    found[row.url] = SeenPage(
                        row.url, row.external_id, row.etag, row.last_modified, row.content_hash,
                        ensure_utc(row.first_seen_at), ensure_utc(row.last_seen_at), bool(row.gone),
                    )  # fmt: skip
        return found

    def item_hashes(self, external_ids: Iterable[str]) -> dict[str, str]:
        """external_id -> content hash of the stored items among `external_ids`."""
        wanted = list(dict.fromkeys(external_ids))
        if self.db is None or not wanted:
            return {}
        found: dict[str, str] = {}
        with self.db.session() as session:
            for start in range(0, len(wanted), 500):
                rows = session.execute(
                    select(Item.external_id, Item.content_hash).where(
                        Item.source_id == self.source_id, Item.external_id.in_(wanted[start : start + 500])
                    )
                )
                found.update({row.external_id: row.content_hash for row in rows})
        return found

    def due_revisits(self, now: datetime, max_age: timedelta, limit: int) -> list[SeenPage]:
        """Pages whose next visit is due: unanswered posts, and pages a previous run failed to fetch."""
        if self.db is None or limit <= 0:
            return []
        with self.db.session() as session:
            rows = session.execute(
                select(
                    SeenUrl.url, SeenUrl.external_id, SeenUrl.etag, SeenUrl.last_modified, SeenUrl.content_hash,
                    SeenUrl.first_seen_at, SeenUrl.last_seen_at, SeenUrl.gone,
                )
                .where(
                    SeenUrl.source_id == self.source_id,
                    SeenUrl.next_visit_at.is_not(None),
                    SeenUrl.next_visit_at <= now,
                    SeenUrl.gone.is_(False),
                    SeenUrl.first_seen_at >= now - max_age,
                )
                .order_by(SeenUrl.next_visit_at)
                .limit(limit)
            )  # fmt: skip
            return [
                SeenPage(r.url, r.external_id, r.etag, r.last_modified, r.content_hash,
                         ensure_utc(r.first_seen_at), ensure_utc(r.last_seen_at), bool(r.gone))
                for r in rows
            ]  # fmt: skip
